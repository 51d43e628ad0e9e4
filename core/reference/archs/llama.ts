import { ReferenceConfig } from '../config';
import { activationFrom, attentionGeometry, contextWindowOf, llamaStyleNames, ropeScalingFrom, uniformLayers } from './common';
import { ModelConfigFields } from './fields';

/** Theta of llama-family configs: MLC `position_embedding_base` (0 = derive), else HF `rope_theta`, else 10000. */
export function positionEmbeddingBase(f: ModelConfigFields): number {
  if (f.has('position_embedding_base') && f.number('position_embedding_base') !== 0) return f.number('position_embedding_base');
  return f.number('rope_theta', 10000);
}

/** LlamaConfig (mlc_llm/model/llama): SiLU-gated MLP, fused qkv, optional llama3 rope scaling, optional tying. */
export function llama(f: ModelConfigFields): ReferenceConfig {
  const { numHeads, numKvHeads, headDim } = attentionGeometry(f);
  const tied = f.bool('tie_word_embeddings', false);
  const rope = { theta: positionEmbeddingBase(f), rotaryDim: headDim, scaling: ropeScalingFrom(f, 'rope_scaling', headDim) };
  const numLayers = f.positiveInt('num_hidden_layers');
  return {
    modelType: 'llama',
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
    layers: uniformLayers(numLayers, rope),
    contextWindow: contextWindowOf(f),
    params: llamaStyleNames({ tied }),
  };
}
