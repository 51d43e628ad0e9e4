import { NxMlcError } from '../../support/errors';
import { gemmaMapping } from './gemma';
import { gemma2Mapping } from './gemma2';
import { gemma3TextMapping } from './gemma3-text';
import { llamaMapping } from './llama';
import { mistralMapping } from './mistral';
import { phi3Mapping } from './phi3';
import { qwen2Mapping } from './qwen2';
import { qwen3Mapping } from './qwen3';
import { ArchMappingEntry, MappingOptions, WeightMapping } from './types';

/** HF → MLC weight-name mappings by model_type. Adding an architecture is adding a file and a line here. */
const ENTRIES: ArchMappingEntry[] = [llamaMapping, mistralMapping, qwen2Mapping, qwen3Mapping, gemmaMapping, gemma2Mapping, gemma3TextMapping, phi3Mapping];

const BY_TYPE = new Map<string, ArchMappingEntry>(ENTRIES.flatMap((e) => e.modelTypes.map((t) => [t, e] as const)));

export const MAPPED_MODEL_TYPES: readonly string[] = [...BY_TYPE.keys()];

export function buildWeightMapping(modelType: string, config: Record<string, unknown>, configFile: string, opts: MappingOptions = {}): WeightMapping {
  const entry = BY_TYPE.get(modelType);
  if (!entry) {
    throw new NxMlcError(`convert-weight has no weight mapping for model type "${modelType}"`, {
      file: configFile,
      field: 'model_type',
      fix: `Supported model types: ${MAPPED_MODEL_TYPES.join(', ')}. Pass --model-type if config.json names a compatible architecture differently.`,
    });
  }
  if (opts.awq && !entry.awq) {
    throw new NxMlcError(`AutoAWQ checkpoints of model type "${modelType}" are not supported (MLC has an AWQ mapping for llama only)`, {
      file: configFile,
      field: 'model_type',
      fix: 'Convert the original bf16/f16 checkpoint with a group quantization such as q4f16_1.',
    });
  }
  return entry.build(config, configFile, opts);
}
