import { LayerSpec, ParamNames, ReferenceConfig } from '../config';
import { attentionGeometry, ropeScalingFrom } from './common';
import { ModelConfigFields } from './fields';
import { gemmaEmbedScale } from './gemma';
import { ArchOptions } from './types';

function gemma3Names(): ParamNames {
  const layer = 'language_model.model.layers.{i}';
  return {
    embed: 'language_model.model.embed_tokens.weight',
    finalNorm: 'language_model.model.norm.weight',
    lmHead: null,
    layer: {
      inputNorm: `${layer}.input_layernorm.weight`,
      qkv: null,
      qkvBias: null,
      q: `${layer}.self_attn.q_proj.weight`,
      k: `${layer}.self_attn.k_proj.weight`,
      v: `${layer}.self_attn.v_proj.weight`,
      qNorm: `${layer}.self_attn.q_norm.weight`,
      kNorm: `${layer}.self_attn.k_norm.weight`,
      o: `${layer}.self_attn.o_proj.weight`,
      postAttnNorm: `${layer}.post_attention_layernorm.weight`,
      preFfnNorm: `${layer}.pre_feedforward_layernorm.weight`,
      postFfnNorm: `${layer}.post_feedforward_layernorm.weight`,
      gateUp: `${layer}.mlp.gate_up_proj.weight`,
      down: `${layer}.mlp.down_proj.weight`,
    },
  };
}

/**
 * Gemma3Config / gemma3_text: the fields live in the nested `text_config` (MLC builds it from the HF
 * text config for both model types). Like gemma2 with sandwich norms, plus (1+w) q/k norms (MLC stores
 * them +1 too), separate q/k/v projections, and sliding layers every layer except each
 * `sliding_window_pattern`-th (6). HF rotates sliding layers with `rope_local_base_freq` (10000) and full
 * layers with `rope_theta` and `rope_scaling`; MLC's kernel uses one theta for all layers — the reference
 * follows transformers and reads `rope_local_base_freq` when the config carries it.
 */
export function gemma3(top: ModelConfigFields, opts: ArchOptions, file?: string): ReferenceConfig {
  const nested = top.object('text_config');
  // MLC dumps the nested text config with its own `kwargs` (HF keys without a field, e.g. rope_local_base_freq).
  const kwargs = nested && typeof nested.kwargs === 'object' && nested.kwargs !== null ? (nested.kwargs as Record<string, unknown>) : {};
  const f = nested ? new ModelConfigFields({ ...kwargs, ...nested }, 'gemma3 text_config', file) : top;
  const { numHeads, numKvHeads, headDim } = attentionGeometry(f);
  const hiddenSize = f.positiveInt('hidden_size');
  const numLayers = f.positiveInt('num_hidden_layers');
  const globalTheta = f.has('position_embedding_base') ? f.number('position_embedding_base') : f.number('rope_theta', 1_000_000);
  const localTheta = f.number('rope_local_base_freq', 10000);
  const scaling = typeof f.raw('rope_scaling') === 'object' ? ropeScalingFrom(f, 'rope_scaling', headDim) : null;
  const window = f.has('sliding_window_size') ? f.number('sliding_window_size') : f.optionalNumber('sliding_window');
  const pattern = f.number('sliding_window_pattern', 6);
  const layerTypes = f.raw('layer_types');
  const layers: LayerSpec[] = Array.from({ length: numLayers }, (_, i) => {
    const slides = Array.isArray(layerTypes) ? layerTypes[i] === 'sliding_attention' : (i + 1) % pattern !== 0;
    return slides && window !== null && window > 0
      ? { slidingWindow: window, rope: { theta: localTheta, rotaryDim: headDim, scaling: null } }
      : { slidingWindow: null, rope: { theta: globalTheta, rotaryDim: headDim, scaling } };
  });
  return {
    modelType: 'gemma3',
    hiddenSize,
    intermediateSize: f.positiveInt('intermediate_size'),
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: top.has('vocab_size') ? top.positiveInt('vocab_size') : f.positiveInt('vocab_size'),
    rmsNormEps: f.number('rms_norm_eps', 1e-6),
    activation: 'gelu_tanh',
    embedScale: gemmaEmbedScale(hiddenSize, opts.computeDtype),
    attnScale: 1 / Math.sqrt(f.number('query_pre_attn_scalar', 256)),
    attnSoftcap: f.optionalNumber('attn_logit_softcapping'),
    finalSoftcap: f.optionalNumber('final_logit_softcapping'),
    sandwichNorms: true,
    layers,
    contextWindow: top.has('context_window_size') ? top.number('context_window_size') : f.number('context_window_size', -1),
    params: gemma3Names(),
  };
}
