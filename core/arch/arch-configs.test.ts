import { deriveModelConfig } from './model-config';
import { getArch } from './registry';
import { dumpPyJson, parsePyJson, PyObject } from '../support/pyjson';

/**
 * gemma3_text has no hf-tiny fixture; this uses the published Gemma-3-1B-it config.json. The expected model_config is
 * derived by hand from MLC's Gemma3Config/Gemma3TextConfig (python/mlc_llm/model/gemma3/gemma3_model.py): the text
 * config is built from the outer kwargs, round-tripped through `dataclasses.asdict` (which, unlike ConfigBase.asdict,
 * keeps the nested `kwargs`), and the outer config copies context/prefill/sliding sizes from it.
 */
const GEMMA3_1B_CONFIG = `{
  "architectures": ["Gemma3ForCausalLM"],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "attn_logit_softcapping": null,
  "bos_token_id": 2,
  "cache_implementation": "hybrid",
  "eos_token_id": [1, 106],
  "final_logit_softcapping": null,
  "head_dim": 256,
  "hidden_activation": "gelu_pytorch_tanh",
  "hidden_size": 1152,
  "initializer_range": 0.02,
  "intermediate_size": 6912,
  "max_position_embeddings": 32768,
  "model_type": "gemma3_text",
  "num_attention_heads": 4,
  "num_hidden_layers": 26,
  "num_key_value_heads": 1,
  "pad_token_id": 0,
  "query_pre_attn_scalar": 256,
  "rms_norm_eps": 1e-06,
  "rope_local_base_freq": 10000,
  "rope_scaling": null,
  "rope_theta": 1000000,
  "sliding_window": 512,
  "sliding_window_pattern": 6,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.50.0.dev0",
  "use_cache": true,
  "vocab_size": 262144
}`;

const EXPECTED = `{
  "text_config": {
    "hidden_size": 1152,
    "intermediate_size": 6912,
    "num_hidden_layers": 26,
    "attention_bias": false,
    "num_attention_heads": 4,
    "num_key_value_heads": 1,
    "head_dim": 256,
    "rms_norm_eps": 1e-06,
    "hidden_activation": "gelu_pytorch_tanh",
    "position_embedding_base": 1000000,
    "rope_scaling": null,
    "context_window_size": 8192,
    "prefill_chunk_size": 8192,
    "query_pre_attn_scalar": 256,
    "sliding_window_size": 512,
    "kwargs": {
      "architectures": [
        "Gemma3ForCausalLM"
      ],
      "attention_dropout": 0.0,
      "attn_logit_softcapping": null,
      "bos_token_id": 2,
      "cache_implementation": "hybrid",
      "eos_token_id": [
        1,
        106
      ],
      "final_logit_softcapping": null,
      "initializer_range": 0.02,
      "max_position_embeddings": 32768,
      "model_type": "gemma3_text",
      "pad_token_id": 0,
      "rope_local_base_freq": 10000,
      "sliding_window": 512,
      "sliding_window_pattern": 6,
      "torch_dtype": "bfloat16",
      "transformers_version": "4.50.0.dev0",
      "use_cache": true
    }
  },
  "vocab_size": 262144,
  "tensor_parallel_shards": 1,
  "max_batch_size": 128,
  "context_window_size": 8192,
  "sliding_window_size": 512,
  "prefill_chunk_size": 8192,
  "is_text_model": true
}`;

describe('gemma3_text model_config (unverified against a real MLC run: derived from the dataclass source)', () => {
  test('Gemma-3-1B-it: nested text_config with its leftover kwargs, context = max(sliding window, 8192)', () => {
    const { modelConfig } = deriveModelConfig(getArch('gemma3_text'), parsePyJson(GEMMA3_1B_CONFIG) as PyObject, { max_batch_size: 128 });
    expect(dumpPyJson(modelConfig, 2)).toBe(EXPECTED);
  });
  test('a context-window override changes the outer value only', () => {
    const { modelConfig } = deriveModelConfig(getArch('gemma3_text'), parsePyJson(GEMMA3_1B_CONFIG) as PyObject, { max_batch_size: 128, context_window_size: 4096 });
    expect(modelConfig.context_window_size).toBe(4096);
    expect((modelConfig.text_config as PyObject).context_window_size).toBe(8192);
  });
});

describe('gemma (v1)', () => {
  test('Gemma-2B config: hidden_act falls back, rope_theta becomes position_embedding_base', () => {
    const cfg = parsePyJson(`{"architectures":["GemmaForCausalLM"],"attention_bias":false,"bos_token_id":2,"eos_token_id":1,"head_dim":256,
      "hidden_act":"gelu","hidden_activation":null,"hidden_size":2048,"intermediate_size":16384,"max_position_embeddings":8192,"model_type":"gemma",
      "num_attention_heads":8,"num_hidden_layers":18,"num_key_value_heads":1,"pad_token_id":0,"rms_norm_eps":1e-06,"rope_theta":10000.0,"vocab_size":256000}`) as PyObject;
    const { modelConfig } = deriveModelConfig(getArch('gemma'), cfg, { max_batch_size: 128 });
    expect(dumpPyJson(modelConfig, 0).replace(/\n/g, '')).toBe(
      '{"hidden_size": 2048,"intermediate_size": 16384,"attention_bias": false,"num_attention_heads": 8,"num_key_value_heads": 1,"head_dim": 256,' +
        '"num_hidden_layers": 18,"rms_norm_eps": 1e-06,"vocab_size": 256000,"hidden_activation": "gelu","position_embedding_base": 10000.0,' +
        '"context_window_size": 8192,"prefill_chunk_size": 8192,"tensor_parallel_shards": 1,"max_batch_size": 128}',
    );
  });
  test('a non-GeLU activation is refused as MLC does', () => {
    const cfg = parsePyJson(`{"model_type":"gemma","attention_bias":false,"head_dim":16,"hidden_act":"silu","hidden_size":64,"intermediate_size":128,
      "max_position_embeddings":64,"num_attention_heads":4,"num_hidden_layers":1,"num_key_value_heads":1,"rms_norm_eps":1e-06,"vocab_size":10}`) as PyObject;
    expect(() => deriveModelConfig(getArch('gemma'), cfg, {})).toThrow(/Only GeLU is supported/);
  });
});

describe('phi3 longrope', () => {
  test('"su" becomes "longrope" and rope_scaling gains rope_type and the two position limits', () => {
    const cfg = parsePyJson(`{"model_type":"phi3","hidden_size":3072,"vocab_size":32064,"num_hidden_layers":32,"num_attention_heads":32,
      "intermediate_size":8192,"rms_norm_eps":1e-05,"num_key_value_heads":32,"max_position_embeddings":131072,"original_max_position_embeddings":4096,
      "rope_theta":10000.0,"rope_scaling":{"long_factor":[1.0,2.0],"short_factor":[1.0,1.5],"type":"su"}}`) as PyObject;
    const { modelConfig } = deriveModelConfig(getArch('phi3'), cfg, { max_batch_size: 128 });
    expect(dumpPyJson(modelConfig.rope_scaling, 0).replace(/\n/g, '')).toBe(
      '{"long_factor": [1.0,2.0],"short_factor": [1.0,1.5],"type": "longrope","rope_type": "longrope","max_position_embeddings": 131072,"original_max_position_embeddings": 4096}',
    );
    expect(modelConfig.prefill_chunk_size).toBe(8192);
  });
});
