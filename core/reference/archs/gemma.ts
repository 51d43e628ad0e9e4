import { ComputeDType, LayerSpec, ReferenceConfig } from '../config';
import { roundToBf16, roundToF16 } from '../../support/dtype';
import { attentionGeometry, contextWindowOf, llamaStyleNames, uniformLayers } from './common';
import { ModelConfigFields } from './fields';
import { ArchOptions } from './types';
import { positionEmbeddingBase } from './llama';

/**
 * sqrt(hidden_size) as the model multiplies its embeddings by it. transformers rounds it to the model dtype
 * (4.x: `torch.tensor(hidden_size**0.5, dtype=hidden_states.dtype)`; 5.x: an `embed_scale` buffer that takes
 * the load dtype and keeps that rounding after `.float()`), so a bf16 model uses bf16(sqrt(3072)) = 55.5,
 * not 55.43. MLC multiplies by a constant of the model dtype too.
 */
export function gemmaEmbedScale(hiddenSize: number, dtype: ComputeDType): number {
  const s = Math.sqrt(hiddenSize);
  if (dtype === 'float16') return roundToF16(s);
  if (dtype === 'bfloat16') return roundToBf16(s);
  return Math.fround(s);
}

/**
 * GemmaConfig: GELU-tanh gated MLP (MLC uses the tanh approximation for both "gelu" and
 * "gelu_pytorch_tanh"), always tied, embeddings scaled by sqrt(hidden). Norm weights are read as stored by
 * MLC, which already added the +1 of Gemma's (1 + w) RMSNorm (spec §6.2), so the forward uses them as is.
 */
export function gemma(f: ModelConfigFields, opts: ArchOptions): ReferenceConfig {
  const { numHeads, numKvHeads, headDim } = attentionGeometry(f);
  const hiddenSize = f.positiveInt('hidden_size');
  const numLayers = f.positiveInt('num_hidden_layers');
  const act = f.has('hidden_activation') ? f.string('hidden_activation') : f.string('hidden_act', 'gelu_pytorch_tanh');
  if (act !== 'gelu' && act !== 'gelu_pytorch_tanh') {
    throw f.error(`Gemma supports only GeLU activations, got "${act}"`, 'hidden_activation', 'Set hidden_activation to "gelu_pytorch_tanh".');
  }
  return {
    modelType: 'gemma',
    hiddenSize,
    intermediateSize: f.positiveInt('intermediate_size'),
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: f.positiveInt('vocab_size'),
    rmsNormEps: f.number('rms_norm_eps'),
    activation: 'gelu_tanh',
    embedScale: gemmaEmbedScale(hiddenSize, opts.computeDtype),
    attnScale: 1 / Math.sqrt(headDim),
    attnSoftcap: null,
    finalSoftcap: null,
    sandwichNorms: false,
    layers: uniformLayers(numLayers, { theta: positionEmbeddingBase(f), rotaryDim: headDim, scaling: null }),
    contextWindow: contextWindowOf(f),
    params: llamaStyleNames({ tied: true }),
  };
}

/**
 * Gemma2Config: gemma plus pre/post feed-forward norms, attention-score and final-logit soft-capping,
 * softmax scale query_pre_attn_scalar^-0.5, and a sliding window on every other layer starting with layer 0
 * (HF: layer i slides iff (i + 1) % 2; an explicit `layer_types` list wins). MLC's own gemma2 drops the
 * attention soft-cap and the alternation; the reference follows transformers, which the fixtures pin.
 */
export function gemma2(f: ModelConfigFields, opts: ArchOptions): ReferenceConfig {
  const base = gemma(f, opts);
  const window = f.optionalNumber('sliding_window');
  const layerTypes = f.raw('layer_types');
  const slides = (i: number): boolean =>
    Array.isArray(layerTypes) ? layerTypes[i] === 'sliding_attention' : (i + 1) % 2 === 1;
  const layers: LayerSpec[] = base.layers.map((l, i) => ({ ...l, slidingWindow: window !== null && window > 0 && slides(i) ? window : null }));
  const scalar = f.number('query_pre_attn_scalar', base.headDim);
  return {
    ...base,
    modelType: 'gemma2',
    attnScale: 1 / Math.sqrt(scalar),
    attnSoftcap: f.optionalNumber('attn_logit_softcapping'),
    finalSoftcap: f.optionalNumber('final_logit_softcapping'),
    sandwichNorms: true,
    layers,
    params: llamaStyleNames({ tied: true, sandwichNorms: true }),
  };
}
