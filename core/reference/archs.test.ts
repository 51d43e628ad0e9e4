import { NxMlcError } from '../support/errors';
import { referenceConfigFrom } from './archs';
import { gemmaEmbedScale } from './archs/gemma';

/** model_config (MLC dataclass field names, spec §2.3) → ReferenceConfig, one family at a time. */

// Llama-3.2-1B as MLC's gen-config writes it (spec §6.3 dimensions).
const llama32 = {
  hidden_size: 2048, intermediate_size: 8192, num_attention_heads: 32, num_hidden_layers: 16, rms_norm_eps: 1e-5,
  vocab_size: 128256, tie_word_embeddings: true, position_embedding_base: 500000.0,
  rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  context_window_size: 131072, prefill_chunk_size: 8192, num_key_value_heads: 8, head_dim: 64, tensor_parallel_shards: 1,
  pipeline_parallel_stages: 1, max_batch_size: 128, disaggregation: false,
};

describe('llama', () => {
  it('reads geometry, tying and llama3 rope scaling', () => {
    const c = referenceConfigFrom('llama', llama32);
    expect([c.hiddenSize, c.numHeads, c.numKvHeads, c.headDim, c.intermediateSize, c.vocabSize]).toEqual([2048, 32, 8, 64, 8192, 128256]);
    expect(c.params.lmHead).toBeNull();
    expect(c.layers).toHaveLength(16);
    expect(c.layers[3].rope).toEqual({
      theta: 500000, rotaryDim: 64,
      scaling: { type: 'llama3', factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 },
    });
    expect(c.attnScale).toBeCloseTo(1 / 8, 15);
    expect(c.params.layer.qkv).toBe('model.layers.{i}.self_attn.qkv_proj.weight');
    expect(c.activation).toBe('silu');
  });

  it('0 means "derive": kv heads = heads, head_dim = hidden / heads, theta 10000', () => {
    const c = referenceConfigFrom('llama', { ...llama32, num_key_value_heads: 0, head_dim: 0, position_embedding_base: 0, rope_scaling: null });
    expect([c.numKvHeads, c.headDim, c.layers[0].rope.theta, c.layers[0].rope.scaling]).toEqual([32, 64, 10000, null]);
  });

  it('untied models read lm_head.weight', () => {
    expect(referenceConfigFrom('llama', { ...llama32, tie_word_embeddings: false }).params.lmHead).toBe('lm_head.weight');
  });
});

describe('mistral', () => {
  const m = { ...llama32, tie_word_embeddings: undefined, rope_scaling: undefined, sliding_window_size: 4096, attention_sink_size: 4 };
  it('applies sliding_window_size to every layer; -1 means none', () => {
    expect(referenceConfigFrom('mistral', m).layers.map((l) => l.slidingWindow)).toEqual(Array(16).fill(4096));
    expect(referenceConfigFrom('mistral', { ...m, sliding_window_size: -1 }).layers[0].slidingWindow).toBeNull();
    expect(referenceConfigFrom('mistral', m).params.lmHead).toBe('lm_head.weight');
  });
});

describe('qwen2 / qwen3', () => {
  const q = {
    hidden_act: 'silu', hidden_size: 64, intermediate_size: 192, num_attention_heads: 4, num_hidden_layers: 2, num_key_value_heads: 2,
    rms_norm_eps: 1e-6, rope_theta: 1000000.0, vocab_size: 512, tie_word_embeddings: true, context_window_size: 256, head_dim: 32,
  };
  it('qwen2: fused, biased c_attn and rope_theta', () => {
    const c = referenceConfigFrom('qwen2', q);
    expect(c.params.layer.qkv).toBe('model.layers.{i}.self_attn.c_attn.weight');
    expect(c.params.layer.qkvBias).toBe('model.layers.{i}.self_attn.c_attn.bias');
    expect(c.layers[1].rope.theta).toBe(1e6);
    expect(c.headDim).toBe(32);
  });
  it('qwen3: q/k norms, bias only with attention_bias', () => {
    const c = referenceConfigFrom('qwen3', { ...q, attention_bias: false });
    expect(c.params.layer.qNorm).toBe('model.layers.{i}.self_attn.q_norm.weight');
    expect(c.params.layer.qkvBias).toBeNull();
    expect(referenceConfigFrom('qwen3', { ...q, attention_bias: true }).params.layer.qkvBias).toBe('model.layers.{i}.self_attn.c_attn.bias');
  });
});

describe('gemma family', () => {
  const g2 = {
    hidden_size: 3072, intermediate_size: 24576, attention_bias: false, num_attention_heads: 16, num_key_value_heads: 16, head_dim: 256,
    num_hidden_layers: 4, rms_norm_eps: 1e-6, vocab_size: 256000, hidden_activation: 'gelu_pytorch_tanh', position_embedding_base: 10000,
    context_window_size: 4096, attn_logit_softcapping: 50.0, final_logit_softcapping: 30.0, query_pre_attn_scalar: 144, sliding_window: 4096,
  };

  it('gemma2: sliding window on layers 0, 2, …; softcaps; query_pre_attn_scalar; sandwich norms; tied', () => {
    const c = referenceConfigFrom('gemma2', g2);
    expect(c.layers.map((l) => l.slidingWindow)).toEqual([4096, null, 4096, null]);
    expect([c.attnSoftcap, c.finalSoftcap]).toEqual([50, 30]);
    expect(c.attnScale).toBeCloseTo(1 / 12, 15);
    expect(c.sandwichNorms).toBe(true);
    expect(c.params.layer.preFfnNorm).toBe('model.layers.{i}.pre_feedforward_layernorm.weight');
    expect(c.params.lmHead).toBeNull();
    expect(c.activation).toBe('gelu_tanh');
  });

  it('embedding scale sqrt(hidden) rounds to the compute dtype, as HF\'s dtype-typed normalizer does', () => {
    // sqrt(3072) = 55.4256…; bf16 step at 32..64 is 0.25 → 55.5; f16 step is 1/32 → 55.4375
    expect(gemmaEmbedScale(3072, 'bfloat16')).toBe(55.5);
    expect(gemmaEmbedScale(3072, 'float16')).toBe(55.4375);
    expect(gemmaEmbedScale(3072, 'float32')).toBe(Math.fround(Math.sqrt(3072)));
    expect(referenceConfigFrom('gemma2', g2, { computeDtype: 'bfloat16' }).embedScale).toBe(55.5);
  });

  it('gemma: plain layout, no soft-capping, head_dim scale', () => {
    const { attn_logit_softcapping: _a, final_logit_softcapping: _f, query_pre_attn_scalar: _q, sliding_window: _s, ...g } = g2;
    const c = referenceConfigFrom('gemma', g);
    expect([c.attnSoftcap, c.finalSoftcap, c.sandwichNorms]).toEqual([null, null, false]);
    expect(c.attnScale).toBeCloseTo(1 / 16, 15);
    expect(c.layers.every((l) => l.slidingWindow === null)).toBe(true);
  });

  it('gemma3: nested text_config, every 6th layer global with rope_theta + scaling, others local theta 10000', () => {
    const c = referenceConfigFrom('gemma3_text', {
      text_config: {
        hidden_size: 1152, intermediate_size: 6912, num_hidden_layers: 12, num_attention_heads: 4, num_key_value_heads: 1, head_dim: 256,
        rms_norm_eps: 1e-6, hidden_activation: 'gelu_pytorch_tanh', position_embedding_base: 1000000, query_pre_attn_scalar: 256,
        sliding_window_size: 512, rope_scaling: { rope_type: 'linear', factor: 8.0 },
      },
      vocab_size: 262144, context_window_size: 8192,
    });
    const global = c.layers.map((l, i) => (l.slidingWindow === null ? i : -1)).filter((i) => i >= 0);
    expect(global).toEqual([5, 11]);
    expect(c.layers[0].rope).toEqual({ theta: 10000, rotaryDim: 256, scaling: null });
    expect(c.layers[5].rope).toEqual({ theta: 1000000, rotaryDim: 256, scaling: { type: 'linear', factor: 8 } });
    expect(c.params.layer.q).toBe('language_model.model.layers.{i}.self_attn.q_proj.weight');
    expect(c.params.layer.kNorm).toBe('language_model.model.layers.{i}.self_attn.k_norm.weight');
    expect(c.vocabSize).toBe(262144);
  });
});

describe('phi3', () => {
  const half = Array(48).fill(1);
  const phi = {
    model_type: 'phi3', hidden_size: 3072, vocab_size: 32064, num_hidden_layers: 32, num_attention_heads: 32, intermediate_size: 8192,
    rms_norm_eps: 1e-5, num_key_value_heads: 32, max_position_embeddings: 131072, position_embedding_base: 10000.0,
    rope_scaling: { type: 'su', long_factor: half.map(() => 2), short_factor: half, rope_type: 'longrope', max_position_embeddings: 131072, original_max_position_embeddings: 4096 },
    original_max_position_embeddings: 4096, context_window_size: 131072, head_dim: 96, tie_word_embeddings: false, partial_rotary_factor: 1.0,
  };

  it('longrope ("su"): attention factor sqrt(1 + ln(131072/4096)/ln 4096) = 1.1902380714238083', () => {
    const s = referenceConfigFrom('phi3', phi).layers[0].rope.scaling;
    expect(s?.type).toBe('longrope');
    if (s?.type !== 'longrope') return;
    expect(s.attentionFactor).toBeCloseTo(1.1902380714238083, 14);
    expect(s.originalMaxPositions).toBe(4096);
  });

  it('transformer.h.{i} names and partial rotary', () => {
    const c = referenceConfigFrom('phi3', { ...phi, rope_scaling: null, partial_rotary_factor: 0.5 });
    expect(c.layers[0].rope.rotaryDim).toBe(48);
    expect(c.params.layer.qkv).toBe('transformer.h.{i}.mixer.qkv_proj.weight');
    expect(c.params.layer.o).toBe('transformer.h.{i}.mixer.out_proj.weight');
    expect(c.params.embed).toBe('transformer.embd.weight');
  });
});

describe('errors name the file, the field and the fix', () => {
  it('unknown model_type', () => {
    expect(() => referenceConfigFrom('rwkv6', {}, { file: 'dist/m/mlc-chat-config.json' })).toThrow(NxMlcError);
    try {
      referenceConfigFrom('rwkv6', {}, { file: 'dist/m/mlc-chat-config.json' });
    } catch (e) {
      const err = e as NxMlcError;
      expect([err.file, err.field]).toEqual(['dist/m/mlc-chat-config.json', 'model_type']);
      expect(err.fix).toContain('llama');
    }
  });

  it('a missing or mistyped field', () => {
    const { hidden_size: _h, ...noHidden } = llama32;
    expect(() => referenceConfigFrom('llama', noHidden)).toThrow(/hidden_size/);
    try {
      referenceConfigFrom('llama', { ...llama32, rms_norm_eps: '1e-5' });
    } catch (e) {
      expect((e as NxMlcError).field).toBe('model_config.rms_norm_eps');
    }
    expect.assertions(2);
  });

  it('unsupported rope scaling type', () => {
    expect(() => referenceConfigFrom('llama', { ...llama32, rope_scaling: { rope_type: 'yarn', factor: 4 } })).toThrow(/yarn/);
  });
});
