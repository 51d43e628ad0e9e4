import { boolField, isRotaryInvFreq, readDims } from './dims';
import { downProj, embedding, gateUp, linear, lmHead, norm, oProj, qkvSources } from './common';
import { ArchMappingEntry, MlcParamSpec } from './types';

/** qwen2: fused attention is `self_attn.c_attn` with a mandatory fused bias. */
export const qwen2Mapping: ArchMappingEntry = {
  modelTypes: ['qwen2'],
  build(config, file) {
    const d = readDims(config, file);
    const tied = boolField(config, 'tie_word_embeddings', false);
    const params: MlcParamSpec[] = [embedding('model.embed_tokens.weight', 'model.embed_tokens.weight', d)];
    for (let i = 0; i < d.layers; i++) {
      const p = `model.layers.${i}`;
      params.push(
        linear(`${p}.self_attn.c_attn.weight`, qkvSources(p, d)),
        { name: `${p}.self_attn.c_attn.bias`, kind: 'plain', sources: qkvSources(p, d, 'bias') },
        oProj(p, p, d),
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
