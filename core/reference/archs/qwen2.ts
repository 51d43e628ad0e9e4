import { ReferenceConfig } from '../config';
import { activationFrom, attentionGeometry, contextWindowOf, llamaStyleNames, uniformLayers } from './common';
import { ModelConfigFields } from './fields';

/** QWen2Config: llama layout with a fused, biased `self_attn.c_attn` and a plain `rope_theta`. */
export function qwen2(f: ModelConfigFields): ReferenceConfig {
  const { numHeads, numKvHeads, headDim } = attentionGeometry(f);
  const numLayers = f.positiveInt('num_hidden_layers');
  const tied = f.bool('tie_word_embeddings', false);
  return {
    modelType: 'qwen2',
    hiddenSize: f.positiveInt('hidden_size'),
    intermediateSize: f.positiveInt('intermediate_size'),
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: f.positiveInt('vocab_size'),
    rmsNormEps: f.number('rms_norm_eps'),
    activation: activationFrom(f, 'hidden_act', 'silu'),
    embedScale: null,
    attnScale: 1 / Math.sqrt(headDim),
    attnSoftcap: null,
    finalSoftcap: null,
    sandwichNorms: false,
    layers: uniformLayers(numLayers, { theta: f.number('rope_theta', 10000), rotaryDim: headDim, scaling: null }),
    contextWindow: contextWindowOf(f),
    params: llamaStyleNames({ fusedQkv: 'c_attn', qkvBias: true, tied }),
  };
}
