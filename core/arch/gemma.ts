import { ArchSpec } from './types';
import { DataclassInstance, FieldSpec, REQUIRED, clampPrefillChunk, defaultContextWindow, defaultPositionEmbeddingBase, assertDivisible, ConfigError } from './dataclass';

export const GEMMA_FIELDS: FieldSpec[] = [
  { name: 'hidden_size', default: REQUIRED },
  { name: 'intermediate_size', default: REQUIRED },
  { name: 'attention_bias', default: REQUIRED },
  { name: 'num_attention_heads', default: REQUIRED },
  { name: 'num_key_value_heads', default: REQUIRED },
  { name: 'head_dim', default: REQUIRED },
  { name: 'num_hidden_layers', default: REQUIRED },
  { name: 'rms_norm_eps', default: REQUIRED },
  { name: 'vocab_size', default: REQUIRED },
  { name: 'hidden_activation', default: null },
  { name: 'position_embedding_base', default: 0 },
  { name: 'context_window_size', default: 0 },
  { name: 'prefill_chunk_size', default: 0 },
  { name: 'tensor_parallel_shards', default: 1 },
  { name: 'max_batch_size', default: 1 },
];

/** `GemmaConfig.__post_init__`, shared by gemma2. */
export function gemmaPostInit(self: DataclassInstance): void {
  if (self.f.hidden_activation === null) {
    const act = self.kwargs.hidden_act;
    self.f.hidden_activation = act === undefined ? null : act;
  }
  if (self.f.hidden_activation !== 'gelu' && self.f.hidden_activation !== 'gelu_pytorch_tanh') {
    throw new ConfigError('Only GeLU is supported as the activation for gemma.', 'hidden_activation');
  }
  if (self.f.attention_bias) throw new ConfigError('Only "False" attention_bias is supported for gemma', 'attention_bias');
  defaultPositionEmbeddingBase(self);
  defaultContextWindow(self);
  assertDivisible(self, 'num_attention_heads', 'num_key_value_heads');
  clampPrefillChunk(self, 8192);
}

/** MLC `GemmaConfig` (python/mlc_llm/model/gemma/gemma_model.py). */
export const gemma: ArchSpec = {
  modelType: 'gemma',
  hfModelTypes: ['gemma'],
  description: 'Gemma (GELU-tanh gated MLP, (1+w) RMSNorm, sqrt(hidden) embedding scale, tied lm_head)',
  defaultConvTemplate: 'gemma_instruction',
  quantKinds: ['no-quant', 'group'],
  config: { className: 'GemmaConfig', fields: GEMMA_FIELDS, postInit: gemmaPostInit },
};
