/** Shared pieces of the llama-family architectures: the standard MLC names and the common dims. */
import type { ModelDims, WeightNames } from '../model-dims';
import { ConfigReader } from './config-read';
import { NxMlcError } from '../../../support/errors';

const L = (i: number) => `model.layers.${i}`;

export const STANDARD_NAMES: WeightNames = {
  embed: 'model.embed_tokens',
  qkv: (i) => `${L(i)}.self_attn.qkv_proj`,
  o: (i) => `${L(i)}.self_attn.o_proj`,
  gateUp: (i) => `${L(i)}.mlp.gate_up_proj`,
  down: (i) => `${L(i)}.mlp.down_proj`,
  inputNorm: (i) => `${L(i)}.input_layernorm.weight`,
  postAttnNorm: (i) => `${L(i)}.post_attention_layernorm.weight`,
  finalNorm: 'model.norm.weight',
  lmHead: 'lm_head',
};

/** Dims every llama-like config shares; arch files override the fields that differ. */
export function commonDims(r: ConfigReader): ModelDims {
  const hidden = r.num('hidden_size');
  const heads = r.num('num_attention_heads');
  const kvHeads = r.positive('num_key_value_heads', heads);
  const headDim = r.positive('head_dim', Math.floor(hidden / heads));
  const contextWindow = r.num('context_window_size');
  if (contextWindow <= 0) {
    throw new NxMlcError('context_window_size must be positive for the cpu target', {
      file: r.file,
      field: 'context_window_size',
      fix: 'pass --overrides "context_window_size=4096" (sliding-window-only models need an explicit cache size)',
    });
  }
  for (const f of ['tensor_parallel_shards', 'pipeline_parallel_stages']) {
    if (r.positive(f, 1) > 1) {
      throw new NxMlcError(`${f} = ${r.cfg[f]}: the cpu target runs one shard on one device`, {
        file: r.file,
        field: f,
        fix: `regenerate the config without --${f.replace(/_/g, '-')}, or pass --overrides "${f}=1"`,
      });
    }
  }
  if (heads % kvHeads !== 0) {
    throw new NxMlcError(`num_attention_heads (${heads}) is not a multiple of num_key_value_heads (${kvHeads})`, {
      file: r.file,
      field: 'model_config.num_key_value_heads',
    });
  }
  return {
    hidden,
    intermediate: r.num('intermediate_size'),
    heads,
    kvHeads,
    headDim,
    layers: r.num('num_hidden_layers'),
    vocab: r.num('vocab_size'),
    eps: r.num('rms_norm_eps', 1e-6),
    ropeTheta: r.ropeTheta(),
    ropeScaling: r.ropeScaling(),
    rotaryDim: headDim,
    activation: 'silu',
    tieEmbeddings: r.bool('tie_word_embeddings', false),
    qkvBias: false,
    qkNorm: false,
    sandwichNorms: false,
    embedScale: 1,
    attnScale: 1 / Math.sqrt(headDim),
    attnSoftcap: 0,
    finalSoftcap: 0,
    windowOf: () => 0,
    contextWindow,
    prefillChunk: Math.min(r.positive('prefill_chunk_size', contextWindow), contextWindow),
    slidingWindowSize: -1,
  };
}
