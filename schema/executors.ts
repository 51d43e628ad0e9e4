import { z } from 'zod';
import { OverridesSchema } from './model-file';

/**
 * Options of the four executors. Targets inferred from `mlc-model.yaml` pass only `model` plus the
 * stage's fixed coordinates (quantization, hardware target), and the executor reads the rest from the model
 * file: options are part of every task hash of a project in Nx, so anything that changes (template,
 * overrides) must reach the hash through the stage's own inputs instead. Hand-written project.json targets
 * may pass every setting explicitly.
 */

const model = z.string().optional().describe('mlc-model.yaml to read settings from (relative to the workspace root)');
const source = z.string().optional().describe('Hugging Face checkpoint directory (relative to the workspace root)');
const quantization = z.string().describe('quantization scheme, e.g. q4f16_1');

export const GenConfigOptionsSchema = z
  .object({
    model,
    source,
    quantization,
    convTemplate: z.string().optional().describe('MLC conversation template'),
    overrides: OverridesSchema.optional(),
    modelType: z.string().optional(),
    output: z.string().optional().describe('model directory to write (default: <outputDir>/<quantization>)'),
  })
  .strict();
export type GenConfigOptions = z.infer<typeof GenConfigOptionsSchema>;

export const ConvertWeightOptionsSchema = z
  .object({
    model,
    source,
    quantization,
    modelType: z.string().optional(),
    sourceFormat: z.enum(['auto', 'huggingface-safetensor', 'huggingface-torch', 'awq']).optional(),
    output: z.string().optional(),
    threads: z.number().int().positive().optional(),
  })
  .strict();
export type ConvertWeightOptions = z.infer<typeof ConvertWeightOptionsSchema>;

const hardware = {
  target: z.string().optional().describe('hardware target name declared in the model file (or a device name)'),
  device: z.string().optional().describe('MLC --device; overrides the hardware target\'s device'),
  quantization: z.string().optional().describe('quantization (default: every quantization of the model)'),
};

export const CompileOptionsSchema = z
  .object({
    model,
    ...hardware,
    opt: z.enum(['O0', 'O1', 'O2', 'O3']).optional(),
    modelDir: z.string().optional().describe('directory holding mlc-chat-config.json'),
    output: z.string().optional().describe('library path to write'),
    dispatch: z
      .boolean()
      .optional()
      .describe('run the cached per-target tasks (compile--<q>--<target>) for the chosen hardware target instead of compiling here'),
  })
  .strict();
export type CompileOptions = z.infer<typeof CompileOptionsSchema>;

export const ValidateOptionsSchema = z
  .object({
    model,
    ...hardware,
    modelDir: z.string().optional(),
    modelLib: z.string().optional(),
    prompt: z.string().optional(),
    maxTokens: z.number().int().positive().optional(),
    reference: z.string().optional(),
    tolerance: z.number().positive().optional(),
    template: z.boolean().optional(),
    report: z.string().optional().describe('JSON report path'),
    dispatch: z.boolean().optional(),
  })
  .strict();
export type ValidateOptions = z.infer<typeof ValidateOptionsSchema>;

export const EXECUTOR_SCHEMAS = {
  'gen-config': { schema: GenConfigOptionsSchema, title: 'gen-config', description: 'Write mlc-chat-config.json and copy the tokenizer files' },
  'convert-weight': { schema: ConvertWeightOptionsSchema, title: 'convert-weight', description: 'Convert and quantize the checkpoint into MLC weight shards' },
  compile: { schema: CompileOptionsSchema, title: 'compile', description: 'Compile the model library for one hardware target' },
  validate: { schema: ValidateOptionsSchema, title: 'validate', description: 'Run the compiled model and write a JSON validation report' },
} as const;
export type ExecutorName = keyof typeof EXECUTOR_SCHEMAS;
