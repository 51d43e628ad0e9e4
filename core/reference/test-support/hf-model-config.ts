/**
 * TEST-ONLY stand-in for gen-config's model_config derivation (spec §2.3), enough for the fixtures:
 * transformers-5 `rope_parameters` → MLC's `position_embedding_base` / `rope_theta` / `rope_scaling` /
 * `partial_rotary_factor`, then only the fields of MLC's dataclass for the arch are kept (asdict drops
 * the rest), so tests exercise referenceConfigFrom on MLC-shaped input.
 */

const FIELDS: Record<string, string[]> = {
  llama: ['hidden_size', 'intermediate_size', 'num_attention_heads', 'num_hidden_layers', 'rms_norm_eps', 'vocab_size',
    'tie_word_embeddings', 'position_embedding_base', 'rope_scaling', 'context_window_size', 'prefill_chunk_size',
    'num_key_value_heads', 'head_dim', 'tensor_parallel_shards', 'pipeline_parallel_stages', 'max_batch_size', 'disaggregation'],
  mistral: ['hidden_size', 'intermediate_size', 'num_attention_heads', 'num_hidden_layers', 'rms_norm_eps', 'vocab_size',
    'position_embedding_base', 'num_key_value_heads', 'head_dim', 'context_window_size', 'sliding_window_size',
    'prefill_chunk_size', 'attention_sink_size', 'tensor_parallel_shards', 'max_batch_size'],
  qwen2: ['hidden_act', 'hidden_size', 'intermediate_size', 'num_attention_heads', 'num_hidden_layers', 'num_key_value_heads',
    'rms_norm_eps', 'rope_theta', 'vocab_size', 'tie_word_embeddings', 'context_window_size', 'prefill_chunk_size',
    'tensor_parallel_shards', 'head_dim', 'dtype', 'max_batch_size'],
  qwen3: ['hidden_act', 'hidden_size', 'intermediate_size', 'attention_bias', 'num_attention_heads', 'num_hidden_layers',
    'num_key_value_heads', 'rms_norm_eps', 'rope_theta', 'vocab_size', 'tie_word_embeddings', 'context_window_size',
    'prefill_chunk_size', 'tensor_parallel_shards', 'head_dim', 'dtype', 'max_batch_size', 'weight_block_size'],
  gemma2: ['hidden_size', 'intermediate_size', 'attention_bias', 'num_attention_heads', 'num_key_value_heads', 'head_dim',
    'num_hidden_layers', 'rms_norm_eps', 'vocab_size', 'hidden_activation', 'position_embedding_base', 'context_window_size',
    'prefill_chunk_size', 'tensor_parallel_shards', 'max_batch_size', 'attn_logit_softcapping', 'final_logit_softcapping',
    'query_pre_attn_scalar', 'sliding_window'],
  phi3: ['model_type', 'hidden_size', 'vocab_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size',
    'rms_norm_eps', 'num_key_value_heads', 'max_position_embeddings', 'position_embedding_base', 'rope_scaling',
    'original_max_position_embeddings', 'context_window_size', 'prefill_chunk_size', 'head_dim', 'tensor_parallel_shards',
    'max_batch_size', 'tie_word_embeddings', 'partial_rotary_factor'],
};

export function mlcModelConfigFromHf(hf: Record<string, unknown>): Record<string, unknown> {
  const modelType = hf.model_type as string;
  const fields = FIELDS[modelType];
  if (!fields) throw new Error(`test helper has no field list for ${modelType}`);
  const rp = (hf.rope_parameters ?? {}) as Record<string, unknown>;
  const theta = (rp.rope_theta ?? hf.rope_theta ?? 10000) as number;
  const ropeType = (rp.rope_type ?? 'default') as string;
  const derived: Record<string, unknown> = {
    ...hf,
    position_embedding_base: theta,
    rope_theta: theta,
    rope_scaling: ropeType === 'default' ? null : { ...rp },
    context_window_size: hf.max_position_embeddings,
    sliding_window_size: hf.sliding_window ?? -1,
    hidden_activation: hf.hidden_activation ?? hf.hidden_act,
    partial_rotary_factor: rp.partial_rotary_factor ?? hf.partial_rotary_factor ?? 1.0,
  };
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f in derived) out[f] = derived[f];
  return out;
}
