import { ArchSpec } from './types';
import { REQUIRED, clampPrefillChunk, defaultContextWindow, isZero, num, ConfigError } from './dataclass';

/**
 * MLC `QWen2Config` (python/mlc_llm/model/qwen2/qwen2_model.py). Its default prefill chunk cap is 2048 in the
 * MLC source we read (spec §2.3 lists 8192 for "most archs"; the source wins, see core/arch/README.md).
 */
export const qwen2: ArchSpec = {
  modelType: 'qwen2',
  hfModelTypes: ['qwen2'],
  description: 'Qwen2 / Qwen2.5 (fused c_attn with q/k/v biases, GQA, SiLU-gated MLP)',
  defaultConvTemplate: 'qwen2',
  quantKinds: ['no-quant', 'group', 'ft'],
  config: {
    className: 'QWen2Config',
    fields: [
      { name: 'hidden_act', default: REQUIRED },
      { name: 'hidden_size', default: REQUIRED },
      { name: 'intermediate_size', default: REQUIRED },
      { name: 'num_attention_heads', default: REQUIRED },
      { name: 'num_hidden_layers', default: REQUIRED },
      { name: 'num_key_value_heads', default: REQUIRED },
      { name: 'rms_norm_eps', default: REQUIRED },
      { name: 'rope_theta', default: REQUIRED },
      { name: 'vocab_size', default: REQUIRED },
      { name: 'tie_word_embeddings', default: false },
      { name: 'context_window_size', default: 0 },
      { name: 'prefill_chunk_size', default: 0 },
      { name: 'tensor_parallel_shards', default: 1 },
      { name: 'head_dim', default: 0 },
      { name: 'dtype', default: 'float32' },
      { name: 'max_batch_size', default: 1 },
    ],
    postInit(self) {
      defaultContextWindow(self);
      if (isZero(self.f.head_dim)) {
        self.f.head_dim = Math.floor(num(self.f.hidden_size, 'hidden_size') / num(self.f.num_attention_heads, 'num_attention_heads'));
      }
      if (num(self.f.head_dim, 'head_dim') * num(self.f.num_attention_heads, 'num_attention_heads') !== num(self.f.hidden_size, 'hidden_size')) {
        throw new ConfigError('head_dim * num_attention_heads must equal hidden_size for qwen2', 'head_dim');
      }
      clampPrefillChunk(self, 2048);
    },
  },
};
