import * as fs from 'node:fs';
import * as path from 'node:path';
import { genConfig } from './gen-config';
import { HF_TINY, DEMO_MODEL, copyToTemp, tempDir } from '../test-support/paths';
import { NxMlcError } from '../support/errors';

/**
 * Expectations below are written by hand from spec/mlc-format.md §2 and MLC-LLM's dataclasses (field order,
 * __post_init__ rules, Python float printing), not produced by the code under test.
 */

function run(dir: string, extra: Partial<Parameters<typeof genConfig>[0]> = {}) {
  const out = tempDir();
  const res = genConfig({ source: dir, quantization: 'q4f16_1', convTemplate: 'LM', output: out, ...extra });
  const text = fs.readFileSync(res.configPath, 'utf8');
  return { res, text, json: JSON.parse(text), out };
}

/** model_config of each fixture, key order included (JSON text of Python's json.dump with indent 2 inside). */
const MODEL_CONFIG: Record<string, string> = {
  llama: `{
    "hidden_size": 64,
    "intermediate_size": 192,
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "rms_norm_eps": 1e-05,
    "vocab_size": 512,
    "tie_word_embeddings": false,
    "position_embedding_base": 500000.0,
    "rope_scaling": {
      "factor": 8.0,
      "high_freq_factor": 4.0,
      "low_freq_factor": 1.0,
      "original_max_position_embeddings": 64,
      "rope_type": "llama3"
    },
    "context_window_size": 256,
    "prefill_chunk_size": 256,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "tensor_parallel_shards": 1,
    "pipeline_parallel_stages": 1,
    "max_batch_size": 128,
    "disaggregation": false
  }`,
  'llama-tied': `{
    "hidden_size": 64,
    "intermediate_size": 192,
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "rms_norm_eps": 1e-06,
    "vocab_size": 512,
    "tie_word_embeddings": true,
    "position_embedding_base": 10000.0,
    "rope_scaling": null,
    "context_window_size": 256,
    "prefill_chunk_size": 256,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "tensor_parallel_shards": 1,
    "pipeline_parallel_stages": 1,
    "max_batch_size": 128,
    "disaggregation": false
  }`,
  mistral: `{
    "hidden_size": 64,
    "intermediate_size": 192,
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "rms_norm_eps": 1e-06,
    "vocab_size": 512,
    "position_embedding_base": 1000000.0,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "context_window_size": 256,
    "sliding_window_size": -1,
    "prefill_chunk_size": 256,
    "attention_sink_size": 4,
    "tensor_parallel_shards": 1,
    "max_batch_size": 128
  }`,
  qwen2: `{
    "hidden_act": "silu",
    "hidden_size": 64,
    "intermediate_size": 192,
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "num_key_value_heads": 2,
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "vocab_size": 512,
    "tie_word_embeddings": true,
    "context_window_size": 256,
    "prefill_chunk_size": 256,
    "tensor_parallel_shards": 1,
    "head_dim": 16,
    "dtype": "bfloat16",
    "max_batch_size": 128
  }`,
  qwen3: `{
    "hidden_act": "silu",
    "hidden_size": 64,
    "intermediate_size": 192,
    "attention_bias": false,
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "num_key_value_heads": 2,
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "vocab_size": 512,
    "tie_word_embeddings": true,
    "context_window_size": 256,
    "prefill_chunk_size": 256,
    "tensor_parallel_shards": 1,
    "head_dim": 32,
    "dtype": "bfloat16",
    "max_batch_size": 128,
    "weight_block_size": null
  }`,
  // MLC's Gemma2Config sets context_window_size = sliding_window; the override round trip then re-clamps the
  // prefill chunk to it.
  gemma2: `{
    "hidden_size": 64,
    "intermediate_size": 192,
    "attention_bias": false,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "num_hidden_layers": 2,
    "rms_norm_eps": 1e-06,
    "vocab_size": 512,
    "hidden_activation": "gelu_pytorch_tanh",
    "position_embedding_base": 10000.0,
    "context_window_size": 8,
    "prefill_chunk_size": 8,
    "tensor_parallel_shards": 1,
    "max_batch_size": 128,
    "attn_logit_softcapping": 50.0,
    "final_logit_softcapping": 30.0,
    "query_pre_attn_scalar": 16,
    "sliding_window": 8
  }`,
  phi3: `{
    "model_type": "phi3",
    "hidden_size": 64,
    "vocab_size": 512,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 192,
    "rms_norm_eps": 1e-05,
    "num_key_value_heads": 4,
    "max_position_embeddings": 256,
    "position_embedding_base": 10000.0,
    "rope_scaling": null,
    "original_max_position_embeddings": 4096,
    "context_window_size": 256,
    "prefill_chunk_size": 256,
    "head_dim": 16,
    "tensor_parallel_shards": 1,
    "max_batch_size": 128,
    "tie_word_embeddings": false,
    "partial_rotary_factor": 1.0
  }`,
};

/** [model_type, ctx, sliding, prefill, sink, pad, bos, eos] per fixture. */
const TOP: Record<string, [string, number, number, number, number, number, number, number]> = {
  llama: ['llama', 256, -1, 256, -1, 0, 1, 2],
  'llama-tied': ['llama', 256, -1, 256, -1, 0, 1, 2],
  mistral: ['mistral', 256, -1, 256, 4, 0, 1, 2],
  qwen2: ['qwen2', 256, -1, 256, -1, 0, 1, 2],
  qwen3: ['qwen3', 256, -1, 256, -1, 0, 1, 2],
  gemma2: ['gemma2', 8, -1, 8, -1, 0, 2, 1],
  phi3: ['phi3', 256, -1, 256, -1, 0, 1, 32000],
};

/** The `LM` template as MLC dumps it (spec §3.1 defaults + §3.3 row). */
const LM_TEMPLATE = `{
    "name": "LM",
    "system_template": "{system_message}",
    "system_message": "",
    "system_prefix_token_ids": [
      1
    ],
    "add_role_after_system_message": true,
    "roles": {
      "user": "",
      "assistant": ""
    },
    "role_templates": {
      "user": "{user_message}",
      "assistant": "{assistant_message}",
      "tool": "{tool_message}"
    },
    "messages": [],
    "seps": [
      ""
    ],
    "role_content_sep": "",
    "role_empty_sep": "",
    "stop_str": [],
    "stop_token_ids": [
      2
    ],
    "strip_reasoning_in_history": false,
    "function_string": "",
    "use_function_calling": false
  }`;

function expectedText(arch: string): string {
  const [modelType, ctx, sliding, prefill, sink, pad, bos, eos] = TOP[arch];
  return `{
  "version": "0.1.0",
  "model_type": "${modelType}",
  "quantization": "q4f16_1",
  "model_config": ${MODEL_CONFIG[arch]},
  "vocab_size": 512,
  "context_window_size": ${ctx},
  "sliding_window_size": ${sliding},
  "prefill_chunk_size": ${prefill},
  "attention_sink_size": ${sink},
  "tensor_parallel_shards": 1,
  "pipeline_parallel_stages": 1,
  "active_vocab_size": 512,
  "temperature": 1.0,
  "presence_penalty": 0.0,
  "frequency_penalty": 0.0,
  "repetition_penalty": 1.0,
  "top_p": 1.0,
  "tokenizer_files": [],
  "tokenizer_info": {
    "token_postproc_method": "byte_fallback",
    "prepend_space_in_encode": false,
    "strip_space_in_decode": false
  },
  "conv_template": ${LM_TEMPLATE},
  "pad_token_id": ${pad},
  "bos_token_id": ${bos},
  "eos_token_id": ${eos},
  "model_task": "chat",
  "embedding_metadata": null
}`;
}

describe('gen-config reproduces MLC-LLM byte for byte', () => {
  for (const arch of Object.keys(MODEL_CONFIG)) {
    test(`hf-tiny/${arch}`, () => {
      const { text } = run(path.join(HF_TINY, arch));
      expect(text).toBe(expectedText(arch));
      expect(text.endsWith('\n')).toBe(false);
    });
  }

  test('the demo model: generation_config sampling values, tokenizer files, byte-level tokenizer_info, active vocab', () => {
    const { json, out, res } = run(DEMO_MODEL);
    expect(json.model_type).toBe('llama');
    expect(json.model_config).toEqual({
      hidden_size: 256, intermediate_size: 768, num_attention_heads: 4, num_hidden_layers: 6, rms_norm_eps: 1e-5,
      vocab_size: 4096, tie_word_embeddings: true, position_embedding_base: 10000, rope_scaling: null,
      context_window_size: 512, prefill_chunk_size: 512, num_key_value_heads: 2, head_dim: 64,
      tensor_parallel_shards: 1, pipeline_parallel_stages: 1, max_batch_size: 128, disaggregation: false,
    });
    expect([json.temperature, json.top_p, json.presence_penalty, json.frequency_penalty, json.repetition_penalty]).toEqual([0.7, 0.95, 0, 0, 1]);
    expect([json.pad_token_id, json.bos_token_id, json.eos_token_id]).toEqual([0, 0, 0]);
    expect(json.tokenizer_files).toEqual(['tokenizer.json', 'tokenizer_config.json']);
    expect(json.tokenizer_info).toEqual({ token_postproc_method: 'byte_level', prepend_space_in_encode: false, strip_space_in_decode: false });
    expect(json.active_vocab_size).toBe(4096);
    expect(res.tokenizerFiles).toEqual(['tokenizer.json', 'tokenizer_config.json']);
    for (const f of json.tokenizer_files) {
      expect(fs.readFileSync(path.join(out, f))).toEqual(fs.readFileSync(path.join(DEMO_MODEL, f)));
    }
    const text = fs.readFileSync(path.join(out, 'mlc-chat-config.json'), 'utf8');
    expect(text).toContain('"temperature": 0.7,\n  "presence_penalty": 0.0,');
  });
});

describe('overrides and the re-clamping they cause', () => {
  test('a smaller context window re-clamps the prefill chunk', () => {
    const { json } = run(path.join(HF_TINY, 'llama'), { overrides: { context_window_size: 100 } });
    expect(json.model_config.context_window_size).toBe(100);
    expect(json.model_config.prefill_chunk_size).toBe(100);
    expect([json.context_window_size, json.prefill_chunk_size]).toEqual([100, 100]);
  });
  test('prefill chunk, max batch size, tensor parallel shards, pipeline stages', () => {
    const { json } = run(path.join(HF_TINY, 'llama'), {
      overrides: { prefill_chunk_size: 64, max_batch_size: 4, tensor_parallel_shards: 2, pipeline_parallel_stages: 2 },
    });
    expect(json.model_config.prefill_chunk_size).toBe(64);
    expect(json.model_config.max_batch_size).toBe(4);
    expect([json.tensor_parallel_shards, json.pipeline_parallel_stages]).toEqual([2, 2]);
  });
  test('a prefill chunk above the context window falls back to min(context, cap)', () => {
    const { json } = run(path.join(HF_TINY, 'qwen3'), { overrides: { prefill_chunk_size: 1000 } });
    expect(json.prefill_chunk_size).toBe(256);
  });
  test('sliding window on mistral sets context to -1 only when derived, and attention sink is kept', () => {
    const { json } = run(path.join(HF_TINY, 'mistral'), { overrides: { sliding_window_size: 32, attention_sink_size: 2 } });
    // The override round trip keeps the already-derived context window (256): MLC only derives it when it is 0.
    expect([json.sliding_window_size, json.context_window_size, json.attention_sink_size]).toEqual([32, 256, 2]);
  });
  test('an override the architecture has no field for is ignored with a warning (sliding window on llama)', () => {
    const { json, res } = run(path.join(HF_TINY, 'llama'), { overrides: { sliding_window_size: 32 } });
    expect(json.sliding_window_size).toBe(-1);
    expect(res.warnings.join('\n')).toMatch(/sliding_window_size/);
  });
  test('gemma2 keeps its window as context whatever the override (MLC quirk)', () => {
    const { json } = run(path.join(HF_TINY, 'gemma2'), { overrides: { context_window_size: 128 } });
    expect(json.context_window_size).toBe(8);
  });
});

describe('transformers-5 rope_parameters read like the classic keys', () => {
  /** Rewrite config.json textually into the classic form (values copied verbatim, so floats stay floats). */
  function classicOf(arch: string): string {
    const dir = copyToTemp(path.join(HF_TINY, arch));
    const text = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
    const m = /\n  "rope_parameters": \{\n([\s\S]*?)\n  \}(,?)/.exec(text)!;
    const entries = m[1].split('\n').map((l) => l.trim().replace(/,$/, ''));
    const get = (k: string) => entries.find((e) => e.startsWith(`"${k}":`));
    const scaling = entries.filter((e) => !/^"(rope_theta|partial_rotary_factor)":/.test(e));
    const lines: string[] = [];
    if (get('partial_rotary_factor')) lines.push(get('partial_rotary_factor')!);
    lines.push(get('rope_type') === '"rope_type": "default"' ? '"rope_scaling": null' : `"rope_scaling": {\n    ${scaling.join(',\n    ')}\n  }`);
    lines.push(get('rope_theta')!);
    const classic = text.replace(m[0], '\n  ' + lines.join(',\n  ') + m[2]);
    expect(classic).not.toContain('rope_parameters');
    fs.writeFileSync(path.join(dir, 'config.json'), classic);
    return dir;
  }
  for (const arch of ['llama', 'llama-tied', 'qwen2', 'phi3', 'gemma2']) {
    test(`${arch}: classic-form config gives identical bytes`, () => {
      const a = run(path.join(HF_TINY, arch)).text;
      const b = run(classicOf(arch)).text;
      expect(b).toBe(a);
    });
  }
});

describe('bad input gets a clear error naming the file and the fix', () => {
  function expectError(fn: () => unknown, pattern: RegExp) {
    let err: unknown;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NxMlcError);
    expect((err as Error).message).toMatch(pattern);
  }
  test('missing config.json', () => {
    const dir = tempDir();
    expectError(() => run(dir), /No config\.json[\s\S]*file: .*config\.json[\s\S]*fix:/);
  });
  test('unsupported model_type lists the supported ones', () => {
    const dir = copyToTemp(path.join(HF_TINY, 'llama'));
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    cfg.model_type = 'gpt_oss';
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
    expectError(() => run(dir), /Unsupported model_type "gpt_oss"[\s\S]*llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3_text, phi3/);
  });
  test('config.json that is not JSON', () => {
    const dir = copyToTemp(path.join(HF_TINY, 'llama'));
    fs.writeFileSync(path.join(dir, 'config.json'), '{"model_type": "llama",');
    expectError(() => run(dir), /config\.json is not valid JSON/);
  });
  test('a required field missing names the field', () => {
    const dir = copyToTemp(path.join(HF_TINY, 'llama'));
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    delete cfg.max_position_embeddings;
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
    expectError(() => run(dir), /maximum sequence length[\s\S]*field: max_position_embeddings/);
  });
  test('unknown quantization and template', () => {
    expectError(() => run(path.join(HF_TINY, 'llama'), { quantization: 'q5f16_9' }), /Unknown quantization "q5f16_9"[\s\S]*q4f16_1/);
    expectError(() => run(path.join(HF_TINY, 'llama'), { convTemplate: 'no-such-template' }), /no-such-template/);
  });
  test('duplicated added token in tokenizer.json', () => {
    const dir = copyToTemp(DEMO_MODEL);
    const tok = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
    tok.added_tokens.push({ ...tok.added_tokens[0], id: 4095 });
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tok));
    const out = tempDir();
    expectError(() => genConfig({ source: dir, quantization: 'q4f16_1', convTemplate: 'LM', output: out }), /added token "<\|endoftext\|>" twice/);
    expect(fs.existsSync(path.join(out, 'mlc-chat-config.json'))).toBe(false);
  });
});

describe('--conv-template auto', () => {
  test('a base model without chat_template gets LM', () => {
    const { res, json } = run(DEMO_MODEL, { convTemplate: 'auto' });
    expect(res.convTemplate).toBe('LM');
    expect(json.conv_template.name).toBe('LM');
  });
  test("a checkpoint carrying Qwen2.5's chat_template gets qwen2", () => {
    const dir = copyToTemp(path.join(HF_TINY, 'qwen2'));
    fs.copyFileSync(path.join(__dirname, '..', 'chat', 'fixtures', 'qwen2.5-instruct', 'tokenizer_config.json'), path.join(dir, 'tokenizer_config.json'));
    const { res, json } = run(dir, { convTemplate: 'auto' });
    expect(res.convTemplate).toBe('qwen2');
    expect(json.conv_template.system_message).toBe('You are a helpful assistant.');
    expect(res.warnings.join('\n')).toMatch(/auto chose "qwen2"/);
  });
});
