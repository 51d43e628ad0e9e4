/**
 * cpu target benchmark: a Qwen2.5-0.5B-shaped model (random q4f16_1 weights, written straight in MLC's
 * layout: the numbers do not matter for speed), 2 threads. Measures prefill tok/s on a 128-token prompt
 * and decode tok/s over 64 tokens. Run: node -r @swc-node/register bench/cpu/bench.ts [--threads 2] [--opt O2]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compile } from '../../core/compiler/compile';
import { ModelLibrary } from '../../core/runtime/library';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const threads = Number(arg('threads', '2'));
const opt = arg('opt', 'O2');
const device = arg('device', 'cpu');
const quantization = arg('quantization', 'q4f16_1');

// Qwen2.5-0.5B (HF config.json) as gen-config would write its model_config.
const modelConfig = {
  hidden_act: 'silu', hidden_size: 896, intermediate_size: 4864, num_attention_heads: 14, num_hidden_layers: 24,
  num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 1000000.0, vocab_size: 151936, tie_word_embeddings: true,
  context_window_size: 32768, prefill_chunk_size: 2048, tensor_parallel_shards: 1, head_dim: 64, dtype: 'float32', max_batch_size: 128,
};

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-bench-'));
  const chat = { version: '0.1.0', model_type: 'qwen2', quantization, model_config: modelConfig, vocab_size: 151936, context_window_size: 32768, sliding_window_size: -1, prefill_chunk_size: 2048 };
  fs.writeFileSync(path.join(dir, 'mlc-chat-config.json'), JSON.stringify(chat));
  let t = Date.now();
  const res = compile({ chatConfigPath: dir, device, opt, output: path.join(dir, 'bench.so'), overrides: 'context_window_size=4096;prefill_chunk_size=512' });
  const compileMs = Date.now() - t;
  const out = process.argv.indexOf('--out');
  if (out > 0) {
    // Library-only mode: bench_driver.cpp times it (e.g. on another host).
    fs.copyFileSync(res.library, process.argv[out + 1]);
    console.log(`compiled in ${compileMs} ms -> ${process.argv[out + 1]}`);
    return;
  }
  const lib = ModelLibrary.load(res.library);
  const inst = lib.create({ numThreads: threads });
  // Random weights: uint32 words uniform; f16 scales ~0.01 (0x2000 ≈ 0.0078); f16 norms 1.0 (0x3c00).
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0));
  for (const p of lib.metadata.params) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    let bytes: Uint8Array;
    if (p.dtype === 'uint32') {
      const a = new Uint32Array(n);
      for (let i = 0; i < n; i++) a[i] = rnd();
      bytes = new Uint8Array(a.buffer);
    } else {
      const a = new Uint16Array(n);
      const isScale = p.name.endsWith('q_scale');
      for (let i = 0; i < n; i++) a[i] = isScale ? 0x2000 + (rnd() & 0xff) : p.name.endsWith('.bias') ? 0 : 0x3c00;
      bytes = new Uint8Array(a.buffer);
    }
    inst.setParam(p.name, p.dtype, p.shape, bytes);
  }
  inst.finalize();
  const prompt = Array.from({ length: 128 }, (_, i) => (i * 7919) % 151936);
  // Warm-up, then best of 3.
  inst.prefill(prompt);
  let prefillBest = Infinity;
  for (let r = 0; r < 3; r++) {
    inst.reset();
    t = performance.now();
    inst.prefill(prompt);
    prefillBest = Math.min(prefillBest, performance.now() - t);
  }
  const decodeN = Number(arg("decode", "64"));
  let decodeBest = Infinity;
  for (let r = 0; r < 2; r++) {
    inst.reset();
    inst.prefill(prompt);
    t = performance.now();
    for (let i = 0; i < decodeN; i++) inst.decode((i * 31) % 151936);
    decodeBest = Math.min(decodeBest, performance.now() - t);
  }
  inst.destroy();
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  console.log(JSON.stringify({
    model: 'qwen2.5-0.5b-shaped', quantization, device, opt, threads, cpu, compile_ms: compileMs, cache_hit: res.cacheHit,
    prefill_tok_s: +(128 / (prefillBest / 1000)).toFixed(1), decode_tok_s: +(decodeN / (decodeBest / 1000)).toFixed(1),
  }));
  fs.rmSync(dir, { recursive: true, force: true });
}

main();
