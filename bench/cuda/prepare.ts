/**
 * Prepares everything the GPU machine needs, on a machine with Node and no GPU, into .cuda-carry/:
 *
 *   conformance/<case>/  for each hf-tiny fixture and the demo model x quantization:
 *       model.cu, model_o1.cu, model_generic.cu   the cuda-target source at O2 (the default, second-generation
 *                                    kernels), O1 (first-generation fast paths) and O0 (generic IR path only)
 *       params.bin + params.json     every param in library order, bytes exactly as nxmlc_set_param takes them
 *       cpu_logits.bin, hf_logits.bin, case.json   the cpu target's outputs and transformers' (fixtures/*expected)
 *   bench/<model>/model.cu + model_o1.cu + mlc-chat-config.json + params.json   for bench/configs/*.json (q4f16_1)
 *
 * Usage: node -r @swc-node/register bench/cuda/prepare.ts [--only-bench] [--only-conformance]
 * Then on the GPU machine: bash bench/cuda/run-on-device.sh (see bench/cuda/README.md).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { genConfig } from '../../core/gen-config/gen-config';
import { convertWeight } from '../../core/weights/convert';
import { compile } from '../../core/compiler/compile';
import { lowerToCuda } from '../../core/compiler/compile-cuda';
import { ModelLibrary, type ModelInstance } from '../../core/runtime/library';
import { readTensorCache } from '../../core/runtime/tensor-cache';
import { loadWeights } from '../../core/runtime/weights';
import { defaultTolerance } from '../../core/runtime/tolerance';
import { readExpected } from '../../core/reference/test-support/expected';

const ROOT = path.resolve(__dirname, '..', '..');
const CARRY = path.join(ROOT, '.cuda-carry');
const CTX = 256;

interface Recorded { name: string; dtype: string; shape: number[]; offset: number; nbytes: number }

function argmax(a: Float32Array, off = 0, len = a.length): number {
  let b = 0;
  for (let j = 1; j < len; j++) if (a[off + j] > a[off + b]) b = j;
  return b;
}

async function conformanceCase(name: string, source: string, q: string, greedyLen: number): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `nxcu-${name}-`));
  const out = path.join(CARRY, 'conformance', `${name}-${q}`);
  fs.mkdirSync(out, { recursive: true });
  genConfig({ source, quantization: q, convTemplate: 'LM', output: work });
  await convertWeight({ source, quantization: q, output: work, threads: 1 });
  const overrides = { context_window_size: CTX };
  fs.writeFileSync(path.join(out, 'model.cu'), lowerToCuda(work, overrides, 'O2').source);
  fs.writeFileSync(path.join(out, 'model_generic.cu'), lowerToCuda(work, overrides, 'O0').source);
  fs.writeFileSync(path.join(out, 'model_o1.cu'), lowerToCuda(work, overrides, 'O1').source);
  const cpu = compile({ chatConfigPath: work, output: path.join(work, 'cpu.so'), overrides });
  const lib = ModelLibrary.load(cpu.library);
  const cache = readTensorCache(work);
  // Record exactly the bytes the runtime hands to nxmlc_set_param.
  const recs: Recorded[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  const recorder = {
    setParam(pname: string, dtype: string, shape: readonly number[], data: Uint8Array) {
      const pad = (8 - (offset % 8)) % 8;
      if (pad) { chunks.push(Buffer.alloc(pad)); offset += pad; }
      recs.push({ name: pname, dtype, shape: [...shape], offset, nbytes: data.byteLength });
      chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      offset += data.byteLength;
    },
    finalize() {},
  } as unknown as ModelInstance;
  loadWeights(recorder, cache, lib.metadata.params);
  fs.writeFileSync(path.join(out, 'params.bin'), Buffer.concat(chunks));
  fs.writeFileSync(path.join(out, 'params.json'), JSON.stringify(recs));

  const inst = lib.create({ numThreads: 2, contextWindowSize: CTX });
  loadWeights(inst, cache, lib.metadata.params);
  const exp = readExpected(path.join(source, 'expected.safetensors'));
  const ids = Array.from(exp.input_ids.data);
  const V = lib.metadata.vocab_size;
  const cpuLogits = inst.prefill(ids, true);
  inst.reset();
  let l = inst.prefill(ids);
  const greedy: number[] = [];
  for (let i = 0; i < greedyLen; i++) {
    const b = argmax(l);
    greedy.push(b);
    l = inst.decode(b);
  }
  inst.destroy();
  fs.writeFileSync(path.join(out, 'cpu_logits.bin'), Buffer.from(cpuLogits.buffer));
  fs.writeFileSync(path.join(out, 'hf_logits.bin'), Buffer.from(exp.logits.data.buffer, exp.logits.data.byteOffset, exp.logits.data.byteLength));
  const hfGreedy = Array.from(exp.greedy.data).slice(0, greedyLen);
  const cpuVsHf = { argmaxAgree: ids.filter((_, t) => argmax(cpuLogits, t * V, V) === argmax(exp.logits.data, t * V, V)).length / ids.length };
  fs.writeFileSync(path.join(out, 'case.json'), JSON.stringify({
    name, quantization: q, vocab: V, context: CTX, ids, cpu_greedy: greedy, hf_greedy: hfGreedy,
    tolerance: defaultTolerance(q), cpu_vs_hf: cpuVsHf,
  }));
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`conformance ${name}-${q}: ${recs.length} params, ${offset} bytes`);
}

function benchModel(cfgFile: string): void {
  const name = path.basename(cfgFile, '.json');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `nxcu-bench-${name}-`));
  fs.copyFileSync(cfgFile, path.join(work, 'config.json'));
  const out = path.join(CARRY, 'bench', name);
  fs.mkdirSync(out, { recursive: true });
  genConfig({ source: work, quantization: 'q4f16_1', convTemplate: 'LM', output: path.join(work, 'mlc') });
  const t0 = Date.now();
  const lowered = lowerToCuda(path.join(work, 'mlc'), { context_window_size: 8192, prefill_chunk_size: 4096 }, 'O2');
  const lowerSeconds = (Date.now() - t0) / 1000;
  fs.writeFileSync(path.join(out, 'model.cu'), lowered.source);
  fs.writeFileSync(path.join(out, 'model_o1.cu'), lowerToCuda(path.join(work, 'mlc'), { context_window_size: 8192, prefill_chunk_size: 4096 }, 'O1').source);
  fs.copyFileSync(path.join(work, 'mlc', 'mlc-chat-config.json'), path.join(out, 'mlc-chat-config.json'));
  fs.writeFileSync(path.join(out, 'params.json'), JSON.stringify({ lower_seconds: lowerSeconds, params: lowered.metadata.params }));
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`bench ${name}: lowered + rendered in ${lowerSeconds}s, ${lowered.source.length} bytes of CUDA`);
}

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  if (!args.has('--only-bench')) {
    fs.rmSync(path.join(CARRY, 'conformance'), { recursive: true, force: true });
    const fixtures = ['llama', 'llama-tied', 'mistral', 'qwen2', 'qwen3', 'gemma2', 'phi3'];
    for (const fx of fixtures) for (const q of ['q0f16', 'q4f16_1']) await conformanceCase(fx, path.join(ROOT, 'fixtures', 'hf-tiny', fx), q, 16);
    // Other quantization layouts (KN, 3-bit, f32 scales) on one fixture.
    for (const q of ['q4f16_0', 'q3f16_1', 'q4f32_1', 'q0f32']) await conformanceCase('llama', path.join(ROOT, 'fixtures', 'hf-tiny', 'llama'), q, 16);
    for (const q of ['q0f16', 'q4f16_1']) await conformanceCase('pycode-6m', path.join(ROOT, 'examples', 'pycode-6m'), q, 48);
  }
  if (!args.has('--only-conformance')) {
    fs.rmSync(path.join(CARRY, 'bench'), { recursive: true, force: true });
    for (const f of ['qwen2.5-0.5b', 'llama-3.2-1b', 'llama-3-8b']) benchModel(path.join(ROOT, 'bench', 'configs', `${f}.json`));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
