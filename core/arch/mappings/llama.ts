import { NxMlcError } from '../../support/errors';
import { boolField, intField, isRotaryInvFreq, readDims } from './dims';
import { downProj, embedding, gateUp, linear, lmHead, norm, oProj, qkvSources, toAwq } from './common';
import { ArchMappingEntry, MappingOptions, MlcParamSpec, WeightMapping } from './types';

/** llama (and the llama-shaped mistral): fused qkv_proj and gate_up_proj, lm_head unless tied. */
export function buildLlamaLike(config: Record<string, unknown>, file: string, opts: { alwaysLmHead: boolean } & MappingOptions): WeightMapping {
  const d = readDims(config, file);
  for (const key of ['attention_bias', 'mlp_bias']) {
    if (config[key] === true) {
      throw new NxMlcError(`config.json sets "${key}": true, which MLC's ${String(config.model_type)} model has no parameter for`, {
        file,
        field: key,
        fix: 'Convert with a model type that has projection biases, or remove the biases from the checkpoint.',
      });
    }
  }
  const tied = !opts.alwaysLmHead && boolField(config, 'tie_word_embeddings', false);
  const params: MlcParamSpec[] = [embedding('model.embed_tokens.weight', 'model.embed_tokens.weight', d)];
  for (let i = 0; i < d.layers; i++) {
    const p = `model.layers.${i}`;
    params.push(
      linear(`${p}.self_attn.qkv_proj.weight`, qkvSources(p, d)),
      oProj(p, p, d),
      gateUp(p, p, d),
      downProj(p, p, d),
      norm(`${p}.input_layernorm.weight`, `${p}.input_layernorm.weight`, d.hidden, '(hidden_size)'),
      norm(`${p}.post_attention_layernorm.weight`, `${p}.post_attention_layernorm.weight`, d.hidden, '(hidden_size)'),
    );
  }
  params.push(norm('model.norm.weight', 'model.norm.weight', d.hidden, '(hidden_size)'));
  if (!tied) params.push(lmHead('lm_head.weight', 'lm_head.weight', d));
  if (opts.awq) {
    const qc = (config.quantization_config ?? {}) as Record<string, unknown>;
    const group = intField(qc, 'group_size', file, 128);
    return { params: toAwq(params, group), isUnused: isRotaryInvFreq, isRedundant: (n) => tied && n === 'lm_head.weight' };
  }
  return { params, isUnused: isRotaryInvFreq, isRedundant: (n) => tied && n === 'lm_head.weight' };
}

export const llamaMapping: ArchMappingEntry = {
  modelTypes: ['llama'],
  awq: true,
  build: (config, file, opts) => buildLlamaLike(config, file, { alwaysLmHead: false, ...opts }),
};
