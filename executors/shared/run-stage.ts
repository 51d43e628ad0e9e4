import type { ExecutorContext } from '@nx/devkit';
import type { z } from 'zod';
import { NxMlcError } from '../../core/support/errors';

/** Executors print to stdout: Nx captures it into the task's terminal output (and its cache entry). */
export const log = (s: string): void => void process.stdout.write(`${s}\n`);

/** Parse options with the stage's zod schema; unknown or ill-typed options name the option and the fix. */
export function parseOptions<T extends z.ZodType>(schema: T, raw: unknown, stage: string): z.infer<T> {
  const { __unparsed__: _ignored, ...rest } = (raw ?? {}) as Record<string, unknown>;
  const parsed = schema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? (issue as { keys?: string[] }).keys?.join(', ') : undefined);
    throw new NxMlcError(`${stage}: invalid option: ${issue.message}`, { field, fix: `Check the ${stage} target's options (project.json, mlc-model.yaml or the command line).` });
  }
  return parsed.data;
}

/**
 * Run a stage body and turn its outcome into Nx's `{ success }`. Bad input (NxMlcError) prints its message
 * (file, field, fix) without a stack; anything else is a bug and prints the stack.
 */
export async function runStage(stage: string, context: ExecutorContext, body: () => Promise<boolean> | boolean): Promise<{ success: boolean }> {
  try {
    return { success: await body() };
  } catch (e) {
    if (e instanceof NxMlcError) process.stderr.write(`${stage} failed: ${e.message}\n`);
    else process.stderr.write(`${stage} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    if (context.isVerbose && e instanceof NxMlcError && e.stack) process.stderr.write(`${e.stack}\n`);
    return { success: false };
  }
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
