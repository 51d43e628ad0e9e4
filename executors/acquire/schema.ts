import { z } from 'zod';

/** Options of the acquire executor (hand-mirrored in schema.json for Nx). */
export const AcquireOptionsSchema = z
  .object({
    repo: z.string().describe('Hugging Face model id, optionally org/name@revision'),
    revision: z.string().optional().describe('branch, tag or commit (pin a 40-hex commit for reproducible builds)'),
    output: z.string().describe('checkpoint directory to write, relative to the workspace root'),
    include: z.array(z.string()).optional(),
    exclude: z.array(z.string()).optional(),
    hubUrl: z.string().optional(),
    concurrency: z.number().int().positive().optional(),
    store: z.boolean().optional().describe('also put the files into the content-addressed store (and push them when a remote is configured)'),
  })
  .strict();
export type AcquireExecutorOptions = z.infer<typeof AcquireOptionsSchema>;
