import { ArchSpec } from './types';
import { ConfigError, asDict, fromDict } from './dataclass';
import { NxMlcError } from '../support/errors';
import { PyObject, PyValue } from '../support/pyjson';

/** gen-config's model overrides (MLC `ModelConfigOverride`); unset ones are left alone. */
export interface ModelConfigOverrides {
  context_window_size?: number;
  sliding_window_size?: number;
  prefill_chunk_size?: number;
  attention_sink_size?: number;
  max_batch_size?: number;
  tensor_parallel_shards?: number;
  pipeline_parallel_stages?: number;
  disaggregation?: boolean;
}

export const OVERRIDE_KEYS: (keyof ModelConfigOverrides)[] = [
  'context_window_size', 'sliding_window_size', 'prefill_chunk_size', 'attention_sink_size',
  'max_batch_size', 'tensor_parallel_shards', 'pipeline_parallel_stages', 'disaggregation',
];

export interface DerivedModelConfig {
  /** `model_config` exactly as MLC dumps it (field order included). */
  modelConfig: PyObject;
  /** Overrides that the architecture has no field for (MLC logs a warning and ignores them). */
  ignoredOverrides: string[];
}

/**
 * MLC's `ModelConfigOverride(...).apply(Config.from_file(config.json))`: build the dataclass from the (classic-form)
 * HF config, then apply overrides through an asdict → patch → from_dict round trip, which re-runs __post_init__.
 */
export function deriveModelConfig(arch: ArchSpec, hfConfig: PyObject, overrides: ModelConfigOverrides, file?: string): DerivedModelConfig {
  try {
    const first = fromDict(arch.config, hfConfig);
    const updated = asDict(arch.config, first);
    const ignoredOverrides: string[] = [];
    for (const key of OVERRIDE_KEYS) {
      const value = overrides[key];
      if (value === undefined || value === null) continue;
      if (!(key in updated)) ignoredOverrides.push(key);
      else updated[key] = value as PyValue;
    }
    const second = fromDict(arch.config, updated);
    return { modelConfig: asDict(arch.config, second), ignoredOverrides };
  } catch (e) {
    if (e instanceof ConfigError) {
      throw new NxMlcError(`${arch.config.className}: ${e.message}`, {
        file,
        field: e.field,
        fix: 'Check config.json against the checkpoint\'s model card; add the missing field or pass an override.',
      });
    }
    throw e;
  }
}
