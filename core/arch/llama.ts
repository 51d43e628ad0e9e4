import { ArchSpec } from './types';
import {
  ConfigError, REQUIRED, clampPrefillChunk, defaultContextWindow, defaultKvHeadsAndHeadDim,
  defaultPositionEmbeddingBase, assertDivisible, num,
} from './dataclass';
import { PyObject } from '../support/pyjson';

/** MLC `LlamaConfig` (python/mlc_llm/model/llama/llama_model.py). */
export const llama: ArchSpec = {
  modelType: 'llama',
  hfModelTypes: ['llama'],
  description: 'Llama 1/2/3 family (RMSNorm, RoPE incl. llama3 scaling, GQA, SiLU-gated MLP)',
  defaultConvTemplate: 'llama-3_1',
  quantKinds: ['no-quant', 'group', 'ft', 'awq', 'per-tensor'],
  config: {
    className: 'LlamaConfig',
    fields: [
      { name: 'hidden_size', default: REQUIRED },
      { name: 'intermediate_size', default: REQUIRED },
      { name: 'num_attention_heads', default: REQUIRED },
      { name: 'num_hidden_layers', default: REQUIRED },
      { name: 'rms_norm_eps', default: REQUIRED },
      { name: 'vocab_size', default: REQUIRED },
      { name: 'tie_word_embeddings', default: false },
      { name: 'position_embedding_base', default: 0 },
      { name: 'rope_scaling', default: null },
      { name: 'context_window_size', default: 0 },
      { name: 'prefill_chunk_size', default: 0 },
      { name: 'num_key_value_heads', default: 0 },
      { name: 'head_dim', default: 0 },
      { name: 'tensor_parallel_shards', default: 1 },
      { name: 'pipeline_parallel_stages', default: 1 },
      { name: 'max_batch_size', default: 1 },
      { name: 'disaggregation', default: false },
    ],
    postInit(self) {
      defaultPositionEmbeddingBase(self);
      const rs = self.f.rope_scaling;
      if (rs !== null && typeof rs === 'object' && !Array.isArray(rs)) {
        const scaling = rs as PyObject;
        if (!('rope_type' in scaling)) self.f.rope_scaling = null;
        else if (scaling.rope_type !== 'llama3') {
          throw new ConfigError(`Unsupported RoPE scaling type ${String(scaling.rope_type)} for Llama (MLC supports only "llama3")`, 'rope_scaling.rope_type');
        }
      }
      defaultContextWindow(self);
      const stages = num(self.f.pipeline_parallel_stages, 'pipeline_parallel_stages');
      if (stages <= 0 || stages > num(self.f.num_hidden_layers, 'num_hidden_layers')) {
        throw new ConfigError(`Invalid "pipeline_parallel_stages" value (${stages}).`, 'pipeline_parallel_stages');
      }
      defaultKvHeadsAndHeadDim(self);
      assertDivisible(self, 'num_attention_heads', 'num_key_value_heads');
      clampPrefillChunk(self, 8192);
    },
  },
};
