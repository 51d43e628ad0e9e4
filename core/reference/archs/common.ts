import { Activation, LayerSpec, ParamNames, RopeScaling, RopeSpec } from '../config';
import { ModelConfigFields } from './fields';

/** Parameter names of the llama-style layout (`model.layers.{i}.…`, fused qkv and gate_up; spec §6.2). */
export function llamaStyleNames(opts: {
  fusedQkv?: 'qkv_proj' | 'c_attn';
  qkvBias?: boolean;
  qkNorm?: boolean;
  sandwichNorms?: boolean;
  tied: boolean;
}): ParamNames {
  const attn = 'model.layers.{i}.self_attn';
  const fused = opts.fusedQkv ?? 'qkv_proj';
  return {
    embed: 'model.embed_tokens.weight',
    finalNorm: 'model.norm.weight',
    lmHead: opts.tied ? null : 'lm_head.weight',
    layer: {
      inputNorm: 'model.layers.{i}.input_layernorm.weight',
      qkv: `${attn}.${fused}.weight`,
      qkvBias: opts.qkvBias ? `${attn}.${fused}.bias` : null,
      q: null,
      k: null,
      v: null,
      qNorm: opts.qkNorm ? `${attn}.q_norm.weight` : null,
      kNorm: opts.qkNorm ? `${attn}.k_norm.weight` : null,
      o: `${attn}.o_proj.weight`,
      postAttnNorm: 'model.layers.{i}.post_attention_layernorm.weight',
      preFfnNorm: opts.sandwichNorms ? 'model.layers.{i}.pre_feedforward_layernorm.weight' : null,
      postFfnNorm: opts.sandwichNorms ? 'model.layers.{i}.post_feedforward_layernorm.weight' : null,
      gateUp: 'model.layers.{i}.mlp.gate_up_proj.weight',
      down: 'model.layers.{i}.mlp.down_proj.weight',
    },
  };
}

/** num_key_value_heads and head_dim with MLC's "0 means derive" defaults. */
export function attentionGeometry(f: ModelConfigFields): { numHeads: number; numKvHeads: number; headDim: number } {
  const numHeads = f.positiveInt('num_attention_heads');
  const numKvHeads = f.positiveInt('num_key_value_heads', numHeads);
  const headDim = f.positiveInt('head_dim', Math.floor(f.positiveInt('hidden_size') / numHeads));
  if (numHeads % numKvHeads !== 0) {
    throw f.error(`num_attention_heads (${numHeads}) is not a multiple of num_key_value_heads (${numKvHeads})`,
      'num_key_value_heads', 'Use the values from the checkpoint\'s config.json.');
  }
  return { numHeads, numKvHeads, headDim };
}

/** MLC activation names (HF `hidden_act`) → the gated-MLP activation of the reference. */
export function activationFrom(f: ModelConfigFields, field: string, fallback: string): Activation {
  const name = f.string(field, fallback);
  switch (name) {
    case 'silu':
    case 'swish':
      return 'silu';
    case 'gelu_pytorch_tanh':
    case 'gelu_new':
      return 'gelu_tanh';
    case 'gelu':
      return 'gelu';
    default:
      throw f.error(`Unsupported activation "${name}"`, field, 'Use silu, gelu or gelu_pytorch_tanh (the activations of the supported architectures).');
  }
}

function num(obj: Record<string, unknown>, key: string, f: ModelConfigFields, field: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw f.error(`${field}.${key} must be a number, got ${JSON.stringify(v)}`, field, `Set "${key}" in ${field} as in the checkpoint's config.json.`);
  }
  return v;
}

function numList(obj: Record<string, unknown>, key: string, len: number, f: ModelConfigFields, field: string): number[] {
  const v = obj[key];
  if (!Array.isArray(v) || v.length !== len || v.some((x) => typeof x !== 'number')) {
    throw f.error(`${field}.${key} must be a list of ${len} numbers (rotary_dim / 2)`, field, `Copy "${key}" from the checkpoint's config.json.`);
  }
  return v as number[];
}

/**
 * A `rope_scaling` object (MLC keeps the HF dict; its type key is `rope_type`, older HF configs say
 * `type`) → RopeScaling. null/absent or type "default" means none. Context for longrope comes from
 * the dict itself (MLC injects `max_position_embeddings` and `original_max_position_embeddings`)
 * or from the top-level fields.
 */
export function ropeScalingFrom(f: ModelConfigFields, field: string, rotaryDim: number): RopeScaling | null {
  const rs = f.object(field);
  if (!rs) return null;
  const type = (rs.rope_type ?? rs.type) as string | undefined;
  if (type === undefined || type === 'default') return null;
  switch (type) {
    case 'llama3':
      return {
        type: 'llama3',
        factor: num(rs, 'factor', f, field),
        lowFreqFactor: num(rs, 'low_freq_factor', f, field),
        highFreqFactor: num(rs, 'high_freq_factor', f, field),
        originalMaxPositions: num(rs, 'original_max_position_embeddings', f, field),
      };
    case 'linear':
      return { type: 'linear', factor: num(rs, 'factor', f, field) };
    case 'longrope':
    case 'su': {
      const half = rotaryDim / 2;
      const original = typeof rs.original_max_position_embeddings === 'number'
        ? rs.original_max_position_embeddings
        : f.number('original_max_position_embeddings');
      const maxPos = typeof rs.max_position_embeddings === 'number' ? rs.max_position_embeddings : f.number('max_position_embeddings');
      // HF: factor (else max/original); attention_factor = sqrt(1 + ln(factor)/ln(original)) unless given, 1 when factor <= 1.
      const factor = typeof rs.factor === 'number' ? rs.factor : maxPos / original;
      const given = rs.attention_factor;
      const attentionFactor = typeof given === 'number'
        ? given
        : factor <= 1 ? 1 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
      return {
        type: 'longrope',
        shortFactor: numList(rs, 'short_factor', half, f, field),
        longFactor: numList(rs, 'long_factor', half, f, field),
        originalMaxPositions: original,
        attentionFactor,
      };
    }
    default:
      throw f.error(`Unsupported RoPE scaling type "${type}"`, field,
        'The reference implements default, llama3, linear and longrope rotary embeddings.');
  }
}

export function uniformLayers(numLayers: number, rope: RopeSpec, slidingWindow: number | null = null): LayerSpec[] {
  return Array.from({ length: numLayers }, () => ({ slidingWindow, rope }));
}

/** MLC context_window_size, or the HF fallbacks gen-config would have used. */
export function contextWindowOf(f: ModelConfigFields): number {
  if (f.has('context_window_size') && f.number('context_window_size') !== 0) return f.number('context_window_size');
  if (f.has('max_position_embeddings')) return f.number('max_position_embeddings');
  return -1;
}
