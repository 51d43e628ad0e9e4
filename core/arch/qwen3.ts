import { ArchSpec } from './types';
import { REQUIRED, clampPrefillChunk, defaultContextWindow, ConfigError } from './dataclass';
import { PyObject } from '../support/pyjson';

/** MLC `Qwen3Config` (python/mlc_llm/model/qwen3/qwen3_model.py); prefill chunk cap 2048. */
export const qwen3: ArchSpec = {
  modelType: 'qwen3',
  hfModelTypes: ['qwen3'],
  description: 'Qwen3 (q/k RMSNorm, head_dim independent of hidden size, optional attention bias)',
  defaultConvTemplate: 'qwen3',
  quantKinds: ['no-quant', 'group', 'ft', 'block-scale'],
  config: {
    className: 'Qwen3Config',
    fields: [
      { name: 'hidden_act', default: REQUIRED },
      { name: 'hidden_size', default: REQUIRED },
      { name: 'intermediate_size', default: REQUIRED },
      { name: 'attention_bias', default: REQUIRED },
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
      { name: 'weight_block_size', default: null },
    ],
    postInit(self) {
      if ('quantization_config' in self.kwargs) {
        const q = self.kwargs.quantization_config as PyObject;
        const ok = q && typeof q === 'object' && !Array.isArray(q) && q.activation_scheme === 'dynamic' && q.fmt === 'e4m3' && q.quant_method === 'fp8' && 'weight_block_size' in q;
        if (!ok) throw new ConfigError(`Unrecognized quantization_config: ${JSON.stringify(q)}`, 'quantization_config');
        const wbs = q.weight_block_size;
        if (!Array.isArray(wbs) || wbs.length !== 2) throw new ConfigError('weight_block_size must be a list of two integers', 'quantization_config.weight_block_size');
        self.f.weight_block_size = wbs;
      }
      defaultContextWindow(self);
      clampPrefillChunk(self, 2048);
    },
  },
};
