import { boolField, isRotaryInvFreq, readDims } from './dims';
import { downProj, embedding, gateUp, linear, lmHead, norm, oProj, qkvSources } from './common';
import { ArchMappingEntry, MlcParamSpec } from './types';

/** qwen3: `c_attn` (+ bias iff attention_bias), per-head q_norm / k_norm of size head_dim. */
export const qwen3Mapping: ArchMappingEntry = {
  modelTypes: ['qwen3'],
  build(config, file) {
    const d = readDims(config, file);
    const tied = boolField(config, 'tie_word_embeddings', false);
    const bias = boolField(config, 'attention_bias', false);
    const params: MlcParamSpec[] = [embedding('model.embed_tokens.weight', 'model.embed_tokens.weight', d)];
    for (let i = 0; i < d.layers; i++) {
      const p = `model.layers.${i}`;
      params.push(linear(`${p}.self_attn.c_attn.weight`, qkvSources(p, d)));
      if (bias) params.push({ name: `${p}.self_attn.c_attn.bias`, kind: 'plain', sources: qkvSources(p, d, 'bias') });
      params.push(
        oProj(p, p, d),
        norm(`${p}.self_attn.q_norm.weight`, `${p}.self_attn.q_norm.weight`, d.headDim, '(head_dim)'),
        norm(`${p}.self_attn.k_norm.weight`, `${p}.self_attn.k_norm.weight`, d.headDim, '(head_dim)'),
        gateUp(p, p, d),
        downProj(p, p, d),
        norm(`${p}.input_layernorm.weight`, `${p}.input_layernorm.weight`, d.hidden, '(hidden_size)'),
        norm(`${p}.post_attention_layernorm.weight`, `${p}.post_attention_layernorm.weight`, d.hidden, '(hidden_size)'),
      );
    }
    params.push(norm('model.norm.weight', 'model.norm.weight', d.hidden, '(hidden_size)'));
    if (!tied) params.push(lmHead('lm_head.weight', 'lm_head.weight', d));
    return { params, isUnused: isRotaryInvFreq, isRedundant: (n) => tied && n === 'lm_head.weight' };
  },
};
