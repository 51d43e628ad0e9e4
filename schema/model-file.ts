import { z } from 'zod';

/**
 * `mlc-model.yaml`: one model project, declared as data. The plugin infers the model's Nx targets from it
 * (gen-config and convert-weight per quantization, compile and validate per quantization x hardware target);
 * the executors read the same file for the settings they need, so every task hashes exactly what it reads.
 */

/** Names that can appear inside an Nx target name (`compile--q4f16_1--cpu-native`). */
const TARGET_NAME = /^[a-z0-9][a-z0-9_.-]*$/i;

export const HardwareTargetSchema = z.union([
  z.string().min(1).describe('A device name (cpu, cuda, metal, vulkan, webgpu, rocm, iphone, android); also the target name.'),
  z
    .object({
      name: z.string().regex(TARGET_NAME, 'use letters, digits, "-", "_" or "." (it becomes part of an Nx target name)'),
      device: z.string().min(1).describe('MLC --device, e.g. cpu, cpu:native, cuda, metal'),
      opt: z.enum(['O0', 'O1', 'O2', 'O3']).optional().describe('compiler optimisation level (default O2)'),
    })
    .strict(),
]);
export type HardwareTargetInput = z.infer<typeof HardwareTargetSchema>;

export const OverridesSchema = z
  .object({
    context_window_size: z.number().int().optional(),
    sliding_window_size: z.number().int().optional(),
    prefill_chunk_size: z.number().int().optional(),
    attention_sink_size: z.number().int().optional(),
    max_batch_size: z.number().int().optional(),
    tensor_parallel_shards: z.number().int().optional(),
    pipeline_parallel_stages: z.number().int().optional(),
  })
  .strict();
export type Overrides = z.infer<typeof OverridesSchema>;

export const ValidateSettingsSchema = z
  .object({
    prompt: z.string().optional().describe('prompt to run (default: "Hello, my name is")'),
    maxTokens: z.number().int().positive().optional(),
    reference: z.string().optional().describe('safetensors with input_ids/logits/greedy, relative to the model file'),
    tolerance: z.number().positive().optional().describe('max abs logit error allowed against the reference'),
    template: z.boolean().optional().describe('wrap the prompt in the conversation template'),
  })
  .strict();
export type ValidateSettings = z.infer<typeof ValidateSettingsSchema>;

export const ModelFileSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/i).optional().describe('Nx project name (default: the directory name)'),
    source: z.string().min(1).describe('Hugging Face checkpoint: a directory relative to this file, or an HF repo id (org/name)'),
    revision: z.string().optional().describe('HF revision (for repo ids)'),
    modelType: z.string().optional().describe("architecture to use instead of config.json's model_type"),
    sourceFormat: z.enum(['auto', 'huggingface-safetensor', 'huggingface-torch', 'awq']).optional(),
    quantizations: z.array(z.string().regex(/^[a-z0-9_]+$/i)).min(1).describe('e.g. [q4f16_1, q0f16]'),
    targets: z.array(HardwareTargetSchema).min(1).describe('hardware targets, e.g. [cpu, cuda, {name: mac, device: metal}]'),
    convTemplate: z.string().min(1).describe('MLC conversation template (e.g. llama-3, chatml, LM)'),
    overrides: OverridesSchema.optional().describe('gen-config model overrides (context_window_size, prefill_chunk_size, …)'),
    validate: ValidateSettingsSchema.optional(),
    outputDir: z.string().optional().describe('where artifacts go, relative to this file (default: dist/<project root> in the workspace)'),
    weightStore: z
      .boolean()
      .optional()
      .describe('keep weight shards in the content-addressed store ($NXMLC_STORE, mirrored to $NXMLC_S3_BUCKET): Nx caches only the small manifest, stages materialise the shards on demand'),
  })
  .strict();
export type ModelFile = z.infer<typeof ModelFileSchema>;
