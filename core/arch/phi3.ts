import { ArchSpec } from './types';
import { REQUIRED, clampPrefillChunk, defaultPositionEmbeddingBase, isZero, num, ConfigError } from './dataclass';
import { PyFloat, PyObject } from '../support/pyjson';

/** MLC `Phi3Config` (python/mlc_llm/model/phi3/phi3_model.py). */
export const phi3: ArchSpec = {
  modelType: 'phi3',
  hfModelTypes: ['phi3'],
  description: 'Phi-3 / Phi-3.5 / Phi-4-mini (fused qkv and gate_up in the checkpoint, longrope)',
  defaultConvTemplate: 'phi-3',
  quantKinds: ['no-quant', 'group', 'ft'],
  ropeScalingTypeKey: 'type',
  config: {
    className: 'Phi3Config',
    fields: [
      { name: 'model_type', default: REQUIRED },
      { name: 'hidden_size', default: REQUIRED },
      { name: 'vocab_size', default: REQUIRED },
      { name: 'num_hidden_layers', default: REQUIRED },
      { name: 'num_attention_heads', default: REQUIRED },
      { name: 'intermediate_size', default: REQUIRED },
      { name: 'rms_norm_eps', default: REQUIRED },
      { name: 'num_key_value_heads', default: REQUIRED },
      { name: 'max_position_embeddings', default: REQUIRED },
      { name: 'position_embedding_base', default: 0 },
      { name: 'rope_scaling', default: null },
      { name: 'original_max_position_embeddings', default: 0 },
      { name: 'context_window_size', default: 0 },
      { name: 'prefill_chunk_size', default: 0 },
      { name: 'head_dim', default: 0 },
      { name: 'tensor_parallel_shards', default: 1 },
      { name: 'max_batch_size', default: 1 },
      { name: 'tie_word_embeddings', default: false },
      { name: 'partial_rotary_factor', default: new PyFloat(1.0) },
    ],
    postInit(self) {
      defaultPositionEmbeddingBase(self);
      const rs = self.f.rope_scaling;
      if (rs !== null && typeof rs === 'object' && !Array.isArray(rs)) {
        const scaling = rs as PyObject;
        if (!('type' in scaling)) self.f.rope_scaling = null;
        else {
          if (scaling.type === 'su') scaling.type = 'longrope';
          if (scaling.type !== 'longrope') throw new ConfigError(`Unsupported RoPE scaling type ${String(scaling.type)} for Phi3`, 'rope_scaling.type');
          scaling.rope_type = scaling.type;
          scaling.max_position_embeddings = self.f.max_position_embeddings;
          scaling.original_max_position_embeddings = self.f.original_max_position_embeddings;
        }
      }
      if (isZero(self.f.context_window_size)) self.f.context_window_size = self.f.max_position_embeddings;
      clampPrefillChunk(self, 8192);
      if (self.f.num_key_value_heads === null || isZero(self.f.num_key_value_heads)) self.f.num_key_value_heads = self.f.num_attention_heads;
      if (isZero(self.f.head_dim)) {
        self.f.head_dim = Math.floor(num(self.f.hidden_size, 'hidden_size') / num(self.f.num_attention_heads, 'num_attention_heads'));
      }
      if (num(self.f.head_dim, 'head_dim') * num(self.f.num_attention_heads, 'num_attention_heads') !== num(self.f.hidden_size, 'hidden_size')) {
        throw new ConfigError('head_dim * num_attention_heads must equal hidden_size for phi3', 'head_dim');
      }
    },
  },
};
