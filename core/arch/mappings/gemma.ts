import { isRotaryInvFreq, readDims } from './dims';
import { downProj, embedding, gateUp, linear, norm, oProj, qkvSources } from './common';
import { ArchMappingEntry, MlcParamSpec, WeightMapping } from './types';

/**
 * gemma and gemma2: standard fusion, embeddings always tied (no lm_head), RMSNorm weights stored as
 * (x + 1) computed in the source dtype. gemma2 adds pre/post feed-forward norms.
 */
export function buildGemma(config: Record<string, unknown>, file: string, opts: { feedForwardNorms: boolean }): WeightMapping {
  const d = readDims(config, file);
  const params: MlcParamSpec[] = [embedding('model.embed_tokens.weight', 'model.embed_tokens.weight', d)];
  const plusOneNorm = (name: string) => norm(name, name, d.hidden, '(hidden_size)', true);
  for (let i = 0; i < d.layers; i++) {
    const p = `model.layers.${i}`;
    params.push(
      linear(`${p}.self_attn.qkv_proj.weight`, qkvSources(p, d)),
      oProj(p, p, d),
      gateUp(p, p, d),
      downProj(p, p, d),
      plusOneNorm(`${p}.input_layernorm.weight`),
      plusOneNorm(`${p}.post_attention_layernorm.weight`),
    );
    if (opts.feedForwardNorms) params.push(plusOneNorm(`${p}.pre_feedforward_layernorm.weight`), plusOneNorm(`${p}.post_feedforward_layernorm.weight`));
  }
  params.push(plusOneNorm('model.norm.weight'));
  return { params, isUnused: isRotaryInvFreq, isRedundant: (n) => n === 'lm_head.weight' };
}

export const gemmaMapping: ArchMappingEntry = {
  modelTypes: ['gemma'],
  build: (config, file) => buildGemma(config, file, { feedForwardNorms: false }),
};
