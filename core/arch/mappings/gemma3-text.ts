import { isRotaryInvFreq, readDims } from './dims';
import { downProj, embedding, gateUp, linear, norm, oProj, qkvSources } from './common';
import { ArchMappingEntry, MlcParamSpec } from './types';

/**
 * gemma3_text: MLC names carry a `language_model.` prefix (HF names do not); q/k/v stay separate,
 * gate_up is fused; every norm (incl. q_norm/k_norm) is stored as (x + 1) in the source dtype.
 */
export const gemma3TextMapping: ArchMappingEntry = {
  modelTypes: ['gemma3_text'],
  build(config, file) {
    const d = readDims(config, file);
    const M = 'language_model.';
    const params: MlcParamSpec[] = [embedding(`${M}model.embed_tokens.weight`, 'model.embed_tokens.weight', d)];
    const plusOne = (name: string, size: number, from: string) => norm(M + name, name, size, from, true);
    for (let i = 0; i < d.layers; i++) {
      const p = `model.layers.${i}`;
      const [q, k, v] = qkvSources(p, d);
      params.push(
        linear(`${M}${q.name}`, [q]),
        linear(`${M}${k.name}`, [k]),
        linear(`${M}${v.name}`, [v]),
        oProj(M + p, p, d),
        plusOne(`${p}.self_attn.q_norm.weight`, d.headDim, '(head_dim)'),
        plusOne(`${p}.self_attn.k_norm.weight`, d.headDim, '(head_dim)'),
        gateUp(M + p, p, d),
        downProj(M + p, p, d),
        plusOne(`${p}.input_layernorm.weight`, d.hidden, '(hidden_size)'),
        plusOne(`${p}.post_attention_layernorm.weight`, d.hidden, '(hidden_size)'),
        plusOne(`${p}.pre_feedforward_layernorm.weight`, d.hidden, '(hidden_size)'),
        plusOne(`${p}.post_feedforward_layernorm.weight`, d.hidden, '(hidden_size)'),
      );
    }
    params.push(plusOne('model.norm.weight', d.hidden, '(hidden_size)'));
    return { params, isUnused: isRotaryInvFreq, isRedundant: (n) => n === 'lm_head.weight' };
  },
};
