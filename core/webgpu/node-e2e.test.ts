/**
 * The webgpu target end to end in Node, on Dawn (npm `webgpu`) with SwiftShader or lavapipe:
 * gen-config -> convert-weight -> compile --device webgpu -> WebgpuModel (the same host a browser runs).
 *  - unquantised libraries reproduce transformers' logits (fixtures/hf-tiny expected.safetensors) within
 *    1e-3 at every position, and the greedy continuation exactly, through chunked prefill and decode;
 *  - quantised libraries match the TypeScript reference forward on the same converted weights (1e-4),
 *    on the prefill (tiled-matmul replacement) and the decode (GEMV) paths.
 * Skips with a printed reason where Dawn has no adapter (no libvulkan / no SwiftShader or Mesa 25).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { genConfig } from '../gen-config/gen-config';
import { convertWeight } from '../weights/convert';
import { compileWebgpu } from '../compiler/compile-webgpu';
import { readExpected, maxAbsDiff } from '../reference/test-support/expected';
import { ReferenceModel, referenceConfigFrom } from '../reference';
import { ArtifactParams, type GroupLayout } from '../compiler/test-support/artifact-params';
import { FileWeightSource, nodeGpu, nodeWebgpuUnavailable, readWebgpuLibrary } from './node';
import { requestWebgpuDevice, WebgpuModel } from './model';
import { useSwiftShaderIfNoDriverChosen } from './test-support/real-env';
import { WebTokenizer } from './tokenizer';
import { generate } from './generate';

const ROOT = path.resolve(__dirname, '../..');
const HF_TINY = path.join(ROOT, 'fixtures/hf-tiny');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-webgpu-node-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

let device: GPUDevice | undefined;
let skipReason: string | null = 'not checked';
let restoreEnv = () => {};
afterAll(() => {
  device?.destroy(); // release the GPU before the next suite (jest runs in band on 2 cores)
  restoreEnv();
});
beforeAll(async () => {
  restoreEnv = useSwiftShaderIfNoDriverChosen();
  skipReason = await nodeWebgpuUnavailable();
  if (skipReason) console.warn(`webgpu Node tests skipped: ${skipReason}`);
  else {
    const got = await requestWebgpuDevice(nodeGpu());
    device = got.device;
    console.log(`webgpu Node e2e on ${got.info.description}${got.info.f16 ? ' with shader-f16 (native f16 shaders)' : ' (packed 16-bit storage)'}`);
  }
});

async function build(fixture: string, quantization: string, ropeInvFreqDtype?: 'float32' | 'bfloat16' | 'float16'): Promise<{ dir: string; model: WebgpuModel }> {
  const src = path.join(HF_TINY, fixture);
  const dir = path.join(work, `${fixture}-${quantization}`);
  genConfig({ source: src, quantization, convTemplate: 'LM', output: dir });
  await convertWeight({ source: src, quantization, output: dir, threads: 1 });
  const res = compileWebgpu({ chatConfigPath: dir, device: 'webgpu', output: path.join(dir, 'model-webgpu.mjs'), overrides: 'context_window_size=64;prefill_chunk_size=16', ropeInvFreqDtype });
  const model = await WebgpuModel.create(device!, readWebgpuLibrary(res.library), new FileWeightSource(dir));
  return { dir, model };
}

const argmax = (a: Float32Array) => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);

/** All-position logits of a prompt, through prefill chunks of the library's size. */
async function allLogits(model: WebgpuModel, prompt: number[]): Promise<Float32Array> {
  model.reset();
  const out = new Float32Array(prompt.length * model.vocab);
  for (let i = 0; i < prompt.length; i += model.prefillChunk) {
    const chunk = prompt.slice(i, i + model.prefillChunk);
    const r = await model.forward(chunk, { first: 0, rows: chunk.length });
    out.set(r.logits, i * model.vocab);
  }
  return out;
}

// llama-tied's f16 checkpoint runs as q0f16 (q0f32 would store it as bf16); gemma2's converted norms are
// rounded by MLC's format (see cpu-library.test.ts), so it is checked against the reference below.
const FIDELITY: [string, string][] = [
  ['llama', 'q0f32'],
  ['llama-tied', 'q0f16'],
  ['mistral', 'q0f32'],
  ['qwen2', 'q0f32'],
  ['qwen3', 'q0f32'],
  ['phi3', 'q0f32'],
];

describe('webgpu (Node, Dawn): unquantised libraries reproduce transformers', () => {
  it.each(FIDELITY)('%s %s: logits within 1e-3, greedy identical, decode == prefill', async (fixture, quantization) => {
    if (skipReason) return console.warn(`skipped: ${skipReason}`);
    // transformers casts inv_freq to the checkpoint dtype; reproduce that to compare with its logits.
    const hf = JSON.parse(fs.readFileSync(path.join(HF_TINY, fixture, 'config.json'), 'utf8'));
    const { model } = await build(fixture, quantization, hf.dtype);
    try {
      const expected = readExpected(path.join(HF_TINY, fixture, 'expected.safetensors'));
      const prompt = Array.from(expected.input_ids.data);
      const V = model.vocab;
      const all = await allLogits(model, prompt);
      expect(maxAbsDiff(all, expected.logits.data)).toBeLessThan(1e-3);

      model.reset();
      let logits = await model.prefill(prompt);
      expect(maxAbsDiff(logits, all.subarray((prompt.length - 1) * V))).toBeLessThan(1e-4);
      const greedy: number[] = [];
      for (let i = 0; i < expected.greedy.data.length; i++) {
        const t = argmax(logits);
        greedy.push(t);
        logits = (await model.forward([t])).logits;
      }
      expect(greedy).toEqual(Array.from(expected.greedy.data));
    } finally {
      model.destroy();
    }
  });
});

const GROUP: Record<string, GroupLayout> = {
  q4f16_1: { bits: 4, groupSize: 32, transposed: false },
  q4f16_0: { bits: 4, groupSize: 32, transposed: true },
  q3f16_1: { bits: 3, groupSize: 40, transposed: false },
};

const QUANT_CASES: [string, string][] = [
  ['llama', 'q4f16_1'],
  ['qwen2', 'q4f16_0'],
  ['mistral', 'q3f16_1'],
  ['gemma2', 'q4f16_1'],
  ['gemma2', 'q0f32'],
];

describe('webgpu (Node, Dawn): quantised libraries match the reference forward on the same weights', () => {
  it.each(QUANT_CASES)('%s %s: all-position logits and the decode step within 1e-4', async (fixture, quantization) => {
    if (skipReason) return console.warn(`skipped: ${skipReason}`);
    const { dir, model } = await build(fixture, quantization);
    try {
      const mc = JSON.parse(fs.readFileSync(path.join(dir, 'mlc-chat-config.json'), 'utf8')).model_config;
      const modelType = JSON.parse(fs.readFileSync(path.join(dir, 'mlc-chat-config.json'), 'utf8')).model_type;
      const heads = Number(mc.num_attention_heads);
      const headDim = Number(mc.head_dim ?? Number(mc.hidden_size) / heads);
      const kOf = (base: string) =>
        /down_proj$/.test(base) ? Number(mc.intermediate_size) : /(o_proj|out_proj)$/.test(base) ? heads * headDim : Number(mc.hidden_size);
      const ref = new ReferenceModel(
        referenceConfigFrom(modelType, { ...mc, context_window_size: 64 }, { invFreqDtype: 'float32' }),
        new ArtifactParams(dir, GROUP[quantization], kOf),
      );
      const prompt = Array.from(readExpected(path.join(HF_TINY, fixture, 'expected.safetensors')).input_ids.data);
      const want = ref.forwardAll(prompt);
      const got = await allLogits(model, prompt);
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-4);
      model.reset();
      await model.prefill(prompt.slice(0, prompt.length - 1));
      const last = (await model.forward([prompt[prompt.length - 1]])).logits;
      expect(maxAbsDiff(last, want.subarray((prompt.length - 1) * model.vocab))).toBeLessThan(1e-4);
    } finally {
      model.destroy();
    }
  });
});

describe('webgpu (Node, Dawn): clear refusals', () => {
  it('weights of another quantization, and a KV cache past the device limit, fail with the reason', async () => {
    if (skipReason) return console.warn(`skipped: ${skipReason}`);
    const src = path.join(HF_TINY, 'llama');
    const q0 = path.join(work, 'refuse-q0f32');
    const q4 = path.join(work, 'refuse-q4f16_1');
    genConfig({ source: src, quantization: 'q0f32', convTemplate: 'LM', output: q0 });
    genConfig({ source: src, quantization: 'q4f16_1', convTemplate: 'LM', output: q4 });
    await convertWeight({ source: src, quantization: 'q0f32', output: q0, threads: 1 });
    const lib4 = compileWebgpu({ chatConfigPath: q4, device: 'webgpu', output: path.join(q4, 'lib.mjs'), overrides: 'context_window_size=64' });
    await expect(WebgpuModel.create(device!, readWebgpuLibrary(lib4.library), new FileWeightSource(q0))).rejects.toThrow(/lack|needs/);
    // 2 kv heads x 16 dims x 4 bytes x 2^24 positions = 2 GiB per layer, past any binding limit.
    const huge = compileWebgpu({ chatConfigPath: q0, device: 'webgpu', output: path.join(q0, 'huge.mjs'), overrides: `context_window_size=${2 ** 24};prefill_chunk_size=16` });
    await expect(WebgpuModel.create(device!, readWebgpuLibrary(huge.library), new FileWeightSource(q0))).rejects.toThrow(/storage binding limit/);
  });
});

describe('webgpu (Node, Dawn): generate() on the demo model', () => {
  it('streams the reference greedy continuation; stop strings and stop tokens end it as MLC does', async () => {
    if (skipReason) return console.warn(`skipped: ${skipReason}`);
    const demo = path.join(ROOT, 'examples/pycode-6m');
    const dir = path.join(work, 'demo-q0f32');
    genConfig({ source: demo, quantization: 'q0f32', convTemplate: 'LM', output: dir });
    await convertWeight({ source: demo, quantization: 'q0f32', output: dir, threads: 1 });
    const res = compileWebgpu({ chatConfigPath: dir, device: 'webgpu', output: path.join(dir, 'lib.mjs'), overrides: 'context_window_size=128;prefill_chunk_size=16' });
    const model = await WebgpuModel.create(device!, readWebgpuLibrary(res.library), new FileWeightSource(dir));
    try {
      const info = { token_postproc_method: 'byte_level' as const, strip_space_in_decode: false };
      const read = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      const tok = new WebTokenizer(read('tokenizer.json'), read('tokenizer_config.json'), info, model.vocab);
      const expected = readExpected(path.join(demo, 'expected.safetensors'));
      const prompt = Array.from(expected.input_ids.data);
      const want = Array.from(expected.greedy.data).slice(0, 16);
      const greedy = { temperature: 0, top_p: 1, repetition_penalty: 1, presence_penalty: 0, frequency_penalty: 0 };
      const pieces: string[] = [];
      const out = await generate(model, tok, { prompt, maxTokens: 16, sampling: greedy, onText: (p) => pieces.push(p) });
      expect(out.tokens).toEqual(want); // 23-token prompt over two prefill chunks of 16, then decode
      expect(out.text).toBe(tok.decode(want));
      expect(pieces.join('')).toBe(out.text);
      expect(out).toMatchObject({ finish: 'length', promptTokens: 23, generatedTokens: 16 });
      expect(out.decodeTokPerSec).toBeGreaterThan(0);

      const cut = await generate(model, tok, { prompt, maxTokens: 16, sampling: greedy, stopStrings: ['bit_'] });
      expect(cut).toMatchObject({ finish: 'stop', text: '\n    return n.' });
      const eos = await generate(model, tok, { prompt, maxTokens: 16, sampling: greedy, stopTokenIds: [want[3]] });
      expect(eos).toMatchObject({ finish: 'stop', tokens: want.slice(0, 3) });
    } finally {
      model.destroy();
    }
  });
});
