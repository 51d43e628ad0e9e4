import { ArchSpec } from './types';
import { REQUIRED, defaultKvHeadsAndHeadDim, defaultPositionEmbeddingBase, isZero, num, popKw, assertDivisible, ConfigError } from './dataclass';

/** MLC `MistralConfig` (python/mlc_llm/model/mistral/mistral_model.py). */
export const mistral: ArchSpec = {
  modelType: 'mistral',
  hfModelTypes: ['mistral'],
  description: 'Mistral (Llama-like with optional sliding-window attention and attention sinks)',
  defaultConvTemplate: 'mistral_default',
  quantKinds: ['no-quant', 'group', 'ft'],
  config: {
    className: 'MistralConfig',
    fields: [
      { name: 'hidden_size', default: REQUIRED },
      { name: 'intermediate_size', default: REQUIRED },
      { name: 'num_attention_heads', default: REQUIRED },
      { name: 'num_hidden_layers', default: REQUIRED },
      { name: 'rms_norm_eps', default: REQUIRED },
      { name: 'vocab_size', default: REQUIRED },
      { name: 'position_embedding_base', default: 0 },
      { name: 'num_key_value_heads', default: 0 },
      { name: 'head_dim', default: 0 },
      { name: 'context_window_size', default: 0 },
      { name: 'sliding_window_size', default: 0 },
      { name: 'prefill_chunk_size', default: 0 },
      { name: 'attention_sink_size', default: 4 },
      { name: 'tensor_parallel_shards', default: 1 },
      { name: 'max_batch_size', default: 1 },
    ],
    postInit(self) {
      defaultPositionEmbeddingBase(self);
      if (isZero(self.f.sliding_window_size)) {
        const sw = popKw(self, 'sliding_window');
        self.f.sliding_window_size = sw === undefined ? -1 : sw;
      }
      if (self.f.sliding_window_size === null) self.f.sliding_window_size = -1;
      if (isZero(self.f.context_window_size)) {
        if (num(self.f.sliding_window_size, 'sliding_window_size') === -1) {
          let found = false;
          for (const name of ['max_position_embeddings', 'max_sequence_length']) {
            const v = popKw(self, name);
            if (v !== undefined) {
              self.f.context_window_size = v;
              found = true;
              break;
            }
          }
          if (!found) {
            throw new ConfigError(
              'Unable to determine the maximum sequence length, because none of `context_window_size`, `max_position_embeddings` or `max_sequence_length` is provided in `config.json`.',
              'max_position_embeddings',
            );
          }
        } else {
          self.f.context_window_size = -1;
        }
      }
      defaultKvHeadsAndHeadDim(self);
      assertDivisible(self, 'num_attention_heads', 'num_key_value_heads');
      if (num(self.f.attention_sink_size, 'attention_sink_size') < 0) throw new ConfigError('attention_sink_size must be >= 0', 'attention_sink_size');
      // Mistral has no re-clamp branch: a prefill chunk larger than the window is kept (as in MLC).
      if (isZero(self.f.prefill_chunk_size)) {
        const candidates: number[] = [];
        const sw = num(self.f.sliding_window_size, 'sliding_window_size');
        const ctx = num(self.f.context_window_size, 'context_window_size');
        if (sw !== -1) candidates.push(sw);
        if (ctx !== -1) candidates.push(ctx);
        self.f.prefill_chunk_size = Math.min(...candidates, 8192);
      }
    },
  },
};
