import { boolField, isRotaryInvFreq, readDims } from './dims';
import { embedding, linear, lmHead, norm, src } from './common';
import { ArchMappingEntry, MlcParamSpec } from './types';

/** phi3: the checkpoint is already fused; MLC renames to `transformer.*` (spec §6.2). */
export const phi3Mapping: ArchMappingEntry = {
  modelTypes: ['phi3'],
  build(config, file) {
    const d = readDims(config, file);
    const tied = boolField(config, 'tie_word_embeddings', false);
    const params: MlcParamSpec[] = [embedding('transformer.embd.weight', 'model.embed_tokens.weight', d)];
    for (let i = 0; i < d.layers; i++) {
      const p = `model.layers.${i}`;
      const t = `transformer.h.${i}`;
      params.push(
        norm(`${t}.ln.weight`, `${p}.input_layernorm.weight`, d.hidden, '(hidden_size)'),
        linear(`${t}.mixer.qkv_proj.weight`, [
          src(`${p}.self_attn.qkv_proj.weight`, [(d.heads + 2 * d.kvHeads) * d.headDim, d.hidden], '((num_attention_heads + 2 × num_key_value_heads) × head_dim, hidden_size)'),
        ]),
        linear(`${t}.mixer.out_proj.weight`, [src(`${p}.self_attn.o_proj.weight`, [d.hidden, d.heads * d.headDim], '(hidden_size, num_attention_heads × head_dim)')]),
        linear(`${t}.mlp.gate_up_proj.weight`, [src(`${p}.mlp.gate_up_proj.weight`, [2 * d.intermediate, d.hidden], '(2 × intermediate_size, hidden_size)')]),
        linear(`${t}.mlp.down_proj.weight`, [src(`${p}.mlp.down_proj.weight`, [d.hidden, d.intermediate], '(hidden_size, intermediate_size)')]),
        norm(`${t}.post_attention_layernorm.weight`, `${p}.post_attention_layernorm.weight`, d.hidden, '(hidden_size)'),
      );
    }
    params.push(norm('transformer.norm.weight', 'model.norm.weight', d.hidden, '(hidden_size)'));
    if (!tied) params.push(lmHead('lm_head.weight', 'lm_head.weight', d));
    return { params, isUnused: isRotaryInvFreq, isRedundant: (n) => tied && n === 'lm_head.weight' };
  },
};
