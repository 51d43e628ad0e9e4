/**
 * gemma2: (1 + w) norms (stored plus one by MLC), sandwich norms, gelu-tanh, sqrt(hidden) embedding
 * scale, query_pre_attn_scalar, attention and final logit soft-capping, and a sliding window on
 * even layers (transformers' default layer_types). MLC itself ignores the attention soft-cap and the
 * per-layer window (it clamps context to the window); we follow transformers, which the fixtures check.
 * Note: MLC's gemma2 config sets context_window_size = sliding_window, so compile with
 * --overrides "context_window_size=N" to get a longer cache.
 */
import type { Arch } from '../model-dims';
import { ConfigReader } from './config-read';
import { commonDims, STANDARD_NAMES } from './common';

const L = (i: number) => `model.layers.${i}`;

export const gemma2: Arch = {
  modelTypes: ['gemma2', 'gemma'],
  names: {
    ...STANDARD_NAMES,
    preFfnNorm: (i) => `${L(i)}.pre_feedforward_layernorm.weight`,
    postFfnNorm: (i) => `${L(i)}.post_feedforward_layernorm.weight`,
  },
  dims(cfg, file) {
    const r = new ConfigReader(cfg, file);
    const d = commonDims(r);
    const isGemma2 = 'query_pre_attn_scalar' in cfg || 'attn_logit_softcapping' in cfg || 'final_logit_softcapping' in cfg;
    const window = r.positive('sliding_window', 0);
    const qScalar = r.positive('query_pre_attn_scalar', d.headDim);
    return {
      ...d,
      activation: r.act(typeof cfg.hidden_activation === 'string' ? 'hidden_activation' : 'hidden_act'),
      tieEmbeddings: true,
      sandwichNorms: isGemma2,
      embedScale: Math.sqrt(d.hidden),
      attnScale: 1 / Math.sqrt(qScalar),
      attnSoftcap: r.positive('attn_logit_softcapping', 0),
      finalSoftcap: r.positive('final_logit_softcapping', 0),
      windowOf: (l) => (isGemma2 && window > 0 && l % 2 === 0 ? window : 0),
    };
  },
};
