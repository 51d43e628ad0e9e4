import { ReferenceConfig } from '../config';
import { llamaStyleNames } from './common';
import { ModelConfigFields } from './fields';
import { qwen2 } from './qwen2';

/**
 * Qwen3Config: qwen2's layout plus per-head RMSNorm of q and k (`self_attn.q_norm`/`k_norm`, size head_dim,
 * applied before RoPE); the c_attn bias exists only when `attention_bias`; head_dim may differ from hidden/heads.
 */
export function qwen3(f: ModelConfigFields): ReferenceConfig {
  const base = qwen2(f);
  return {
    ...base,
    modelType: 'qwen3',
    params: llamaStyleNames({
      fusedQkv: 'c_attn',
      qkvBias: f.bool('attention_bias', false),
      qkNorm: true,
      tied: f.bool('tie_word_embeddings', false),
    }),
  };
}
