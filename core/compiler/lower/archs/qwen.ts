/** qwen2 (q/k/v biases) and qwen3 (q/k RMSNorms, optional bias). MLC names the fused attention c_attn. */
import type { Arch } from '../model-dims';
import { ConfigReader } from './config-read';
import { commonDims, STANDARD_NAMES } from './common';

const L = (i: number) => `model.layers.${i}`;

export const qwen2: Arch = {
  modelTypes: ['qwen2'],
  names: { ...STANDARD_NAMES, qkv: (i) => `${L(i)}.self_attn.c_attn` },
  dims(cfg, file) {
    const r = new ConfigReader(cfg, file);
    return { ...commonDims(r), activation: r.act('hidden_act'), qkvBias: true };
  },
};

export const qwen3: Arch = {
  modelTypes: ['qwen3'],
  names: {
    ...STANDARD_NAMES,
    qkv: (i) => `${L(i)}.self_attn.c_attn`,
    qNorm: (i) => `${L(i)}.self_attn.q_norm.weight`,
    kNorm: (i) => `${L(i)}.self_attn.k_norm.weight`,
  },
  dims(cfg, file) {
    const r = new ConfigReader(cfg, file);
    return { ...commonDims(r), activation: r.act('hidden_act'), qkvBias: r.bool('attention_bias', false), qkNorm: true };
  },
};
