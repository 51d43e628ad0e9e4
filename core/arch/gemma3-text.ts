import { ArchSpec } from './types';
import { ConfigError, DataclassInstance, DataclassSpec, REQUIRED, asDict, clampPrefillChunk, defaultContextWindow, fromDict, num, assertDivisible } from './dataclass';
import { PyFloat, PyObject, PyValue, pyNumber } from '../support/pyjson';

/** MLC `Gemma3TextConfig` (python/mlc_llm/model/gemma3/gemma3_model.py). */
const textConfig: DataclassSpec = {
  className: 'Gemma3TextConfig',
  fields: [
    { name: 'hidden_size', default: REQUIRED },
    { name: 'intermediate_size', default: REQUIRED },
    { name: 'num_hidden_layers', default: REQUIRED },
    { name: 'attention_bias', default: false },
    { name: 'num_attention_heads', default: 8 },
    { name: 'num_key_value_heads', default: 4 },
    { name: 'head_dim', default: 256 },
    { name: 'rms_norm_eps', default: new PyFloat(1e-6) },
    { name: 'hidden_activation', default: 'gelu_pytorch_tanh' },
    { name: 'position_embedding_base', default: 1000000 },
    { name: 'rope_scaling', default: 0 },
    { name: 'context_window_size', default: 131072 },
    { name: 'prefill_chunk_size', default: 0 },
    { name: 'query_pre_attn_scalar', default: 256 },
    { name: 'sliding_window_size', default: null },
  ],
  postInit(self) {
    if (self.f.hidden_activation === null) self.f.hidden_activation = self.kwargs.hidden_act ?? null;
    if (self.f.sliding_window_size === null) self.f.sliding_window_size = self.kwargs.sliding_window ?? null;
    if (self.f.hidden_activation !== 'gelu' && self.f.hidden_activation !== 'gelu_pytorch_tanh') {
      throw new ConfigError('Only GeLU is supported as the activation for gemma.', 'hidden_activation');
    }
    if (self.f.attention_bias) throw new ConfigError('Only "False" attention_bias is supported for gemma', 'attention_bias');
    if (pyNumber(self.f.position_embedding_base) === 1000000 && 'rope_theta' in self.kwargs) {
      self.f.position_embedding_base = self.kwargs.rope_theta;
      delete self.kwargs.rope_theta;
    }
    defaultContextWindow(self);
    assertDivisible(self, 'num_attention_heads', 'num_key_value_heads');
    clampPrefillChunk(self, 8192);
    if (pyNumber(self.f.sliding_window_size) === undefined) {
      throw new ConfigError('gemma3 needs "sliding_window" in config.json', 'sliding_window');
    }
    self.f.context_window_size = Math.max(num(self.f.sliding_window_size, 'sliding_window'), 8192);
  },
};

/** Python `dataclasses.asdict` of the text config: unlike ConfigBase.asdict it keeps the nested `kwargs`. */
function textAsDictWithKwargs(self: DataclassInstance): PyObject {
  return { ...asDict(textConfig, self), kwargs: { ...self.kwargs } };
}

/**
 * MLC `Gemma3Config`: a wrapper whose `text_config` is rebuilt through a dict round trip. For text-only checkpoints
 * (`gemma3_text`) every HF key becomes the text config's input, and — a quirk reproduced here — the text config's
 * leftover `kwargs` are dumped inside `model_config.text_config`.
 */
export const gemma3Text: ArchSpec = {
  modelType: 'gemma3_text',
  hfModelTypes: ['gemma3_text'],
  description: 'Gemma 3 text-only (q/k norms, sliding/global attention pattern, GELU-tanh MLP)',
  defaultConvTemplate: 'gemma3_instruction',
  quantKinds: ['no-quant', 'group'],
  config: {
    className: 'Gemma3Config',
    fields: [
      { name: 'text_config', default: null },
      { name: 'vocab_size', default: 262208 },
      { name: 'tensor_parallel_shards', default: 1 },
      { name: 'max_batch_size', default: 1 },
      { name: 'context_window_size', default: -1 },
      { name: 'sliding_window_size', default: -1 },
      { name: 'prefill_chunk_size', default: -1 },
      { name: 'is_text_model', default: false },
    ],
    postInit(self) {
      let textDict: PyObject;
      if (self.f.text_config === null) {
        self.f.is_text_model = true;
        textDict = textAsDictWithKwargs(fromDict(textConfig, self.kwargs));
      } else {
        textDict = { ...(self.f.text_config as PyObject) };
      }
      const nested = (textDict.kwargs ?? {}) as PyObject;
      delete textDict.kwargs;
      for (const [k, v] of Object.entries(nested)) textDict[k] = v as PyValue;
      const text = fromDict(textConfig, textDict);
      self.f.text_config = textAsDictWithKwargs(text);
      for (const k of ['context_window_size', 'prefill_chunk_size', 'sliding_window_size']) {
        if (num(self.f[k], k) <= 0) self.f[k] = text.f[k];
      }
    },
  },
};
