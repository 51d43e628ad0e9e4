import { ReferenceConfig } from '../config';
import { attentionGeometry, contextWindowOf, ropeScalingFrom, uniformLayers } from './common';
import { ModelConfigFields } from './fields';
import { positionEmbeddingBase } from './llama';

/**
 * Phi3Config: llama math under `transformer.h.{i}` names (fused `mixer.qkv_proj`, `mlp.gate_up_proj`),
 * optional partial rotary (`partial_rotary_factor`) and longrope ("su") scaling.
 */
export function phi3(f: ModelConfigFields): ReferenceConfig {
  const { numHeads, numKvHeads, headDim } = attentionGeometry(f);
  const numLayers = f.positiveInt('num_hidden_layers');
  const tied = f.bool('tie_word_embeddings', false);
  const rotaryDim = Math.floor(headDim * f.number('partial_rotary_factor', 1));
  const rope = { theta: positionEmbeddingBase(f), rotaryDim, scaling: ropeScalingFrom(f, 'rope_scaling', rotaryDim) };
  const h = 'transformer.h.{i}';
  return {
    modelType: 'phi3',
    hiddenSize: f.positiveInt('hidden_size'),
    intermediateSize: f.positiveInt('intermediate_size'),
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: f.positiveInt('vocab_size'),
    rmsNormEps: f.number('rms_norm_eps'),
    activation: 'silu',
    embedScale: null,
    attnScale: 1 / Math.sqrt(headDim),
    attnSoftcap: null,
    finalSoftcap: null,
    sandwichNorms: false,
    layers: uniformLayers(numLayers, rope),
    contextWindow: contextWindowOf(f),
    params: {
      embed: 'transformer.embd.weight',
      finalNorm: 'transformer.norm.weight',
      lmHead: tied ? null : 'lm_head.weight',
      layer: {
        inputNorm: `${h}.ln.weight`,
        qkv: `${h}.mixer.qkv_proj.weight`,
        qkvBias: null,
        q: null,
        k: null,
        v: null,
        qNorm: null,
        kNorm: null,
        o: `${h}.mixer.out_proj.weight`,
        postAttnNorm: `${h}.post_attention_layernorm.weight`,
        preFfnNorm: null,
        postFfnNorm: null,
        gateUp: `${h}.mlp.gate_up_proj.weight`,
        down: `${h}.mlp.down_proj.weight`,
      },
    },
  };
}
