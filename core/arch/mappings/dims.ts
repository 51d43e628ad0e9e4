import { NxMlcError } from '../../support/errors';

/** The config.json numbers a weight mapping needs, read directly from the raw HF config. */
export interface Dims {
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
}

export function intField(config: Record<string, unknown>, key: string, file: string, fallback?: number): number {
  const v = config[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new NxMlcError(`config.json has no "${key}", needed to know the weight shapes`, { file, field: key, fix: `Add "${key}" (an integer) to config.json.` });
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new NxMlcError(`config.json "${key}" must be a positive integer, found ${JSON.stringify(v)}`, { file, field: key, fix: `Set "${key}" to a positive integer.` });
  }
  return v;
}

export function boolField(config: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = config[key];
  return typeof v === 'boolean' ? v : fallback;
}

export function readDims(config: Record<string, unknown>, file: string): Dims {
  const hidden = intField(config, 'hidden_size', file);
  const heads = intField(config, 'num_attention_heads', file);
  return {
    hidden,
    heads,
    intermediate: intField(config, 'intermediate_size', file),
    layers: intField(config, 'num_hidden_layers', file),
    kvHeads: intField(config, 'num_key_value_heads', file, heads),
    headDim: intField(config, 'head_dim', file, Math.floor(hidden / heads)),
    vocab: intField(config, 'vocab_size', file),
  };
}

/** Names that MLC's loaders list as unused in every mapping. */
export function isRotaryInvFreq(name: string): boolean {
  return name.endsWith('rotary_emb.inv_freq');
}
