/** phi3: MLC's transformer.h.* names, already-fused qkv/gate_up, optional partial rotary factor. */
import type { Arch } from '../model-dims';
import { ConfigReader } from './config-read';
import { commonDims } from './common';

const H = (i: number) => `transformer.h.${i}`;

export const phi3: Arch = {
  modelTypes: ['phi3'],
  names: {
    embed: 'transformer.embd',
    qkv: (i) => `${H(i)}.mixer.qkv_proj`,
    o: (i) => `${H(i)}.mixer.out_proj`,
    gateUp: (i) => `${H(i)}.mlp.gate_up_proj`,
    down: (i) => `${H(i)}.mlp.down_proj`,
    inputNorm: (i) => `${H(i)}.ln.weight`,
    postAttnNorm: (i) => `${H(i)}.post_attention_layernorm.weight`,
    finalNorm: 'transformer.norm.weight',
    lmHead: 'lm_head',
  },
  dims(cfg, file) {
    const r = new ConfigReader(cfg, file);
    const d = commonDims(r);
    const factor = r.positive('partial_rotary_factor', 1);
    return { ...d, rotaryDim: Math.floor(d.headDim * factor / 2) * 2 };
  },
};
