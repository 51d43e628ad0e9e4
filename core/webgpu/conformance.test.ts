/**
 * Kernel conformance on WebGPU (Node, Dawn), in the spirit of ggml's test-backend-ops: every kernel the
 * webgpu library runs, for a matrix of architectures and quantizations, rendered to WGSL and run on random
 * inputs, against the kernel IR's own meaning (test-support/ir-interpreter.ts, a TypeScript interpreter of
 * the IR, independent of every renderer). GPU-shaped replacements (render/library-wgsl.ts) are also
 * interpreted against the plan kernel they replace. Per case: outputs within atol 1e-4 + rtol 1e-4 (the
 * interpreter rounds every f32 op, the GPU's exp/sqrt differ by a few ulp), no NaN/Inf where the IR
 * gives finite values, nothing written outside the output ranges (canaries), and buffers bound at
 * non-zero element offsets (as the plan binds row slices). Both 16-bit storage modes run where the
 * adapter has shader-f16 (Mesa 25 lavapipe); SwiftShader runs the packed mode.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { genConfig } from '../gen-config/gen-config';
import { lowerToWebgpu } from '../compiler/compile-webgpu';
import { gpuVariant } from '../compiler/render/library-wgsl';
import { renderKernelWgsl, WORKGROUP_SIZE, type F16Mode } from '../compiler/render/wgsl';
import type { Kernel } from '../compiler/ir/ir';
import type { BufRef, Plan } from '../compiler/lower/plan';
import { f32ToBf16, f32ToF16 } from '../support/dtype';
import { evalIntExpr } from './expr';
import { nodeGpu, nodeWebgpuUnavailable } from './node';
import { requestWebgpuDevice } from './model';
import { arrayFor, interpretKernel, type IrArray } from './test-support/ir-interpreter';
import { runWgslKernel } from './test-support/run-wgsl-kernel';
import { useSwiftShaderIfNoDriverChosen } from './test-support/real-env';

const ROOT = path.resolve(__dirname, '../..');
const HF_TINY = path.join(ROOT, 'fixtures/hf-tiny');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-webgpu-conf-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Architectures x quantizations that together use every kernel shape the lowering has. */
const MATRIX: [string, string][] = [
  ['llama', 'q0f32'], // dense f32, gemv decode
  ['llama', 'q4f16_1'], // group NK, f16 scales
  ['qwen2', 'q4f16_0'], // group KN (transposed), qkv bias
  ['mistral', 'q3f16_1'], // 3-bit groups of 40
  ['qwen3', 'q0f16'], // f16 weights, q/k norms
  ['gemma2', 'q4f16_1'], // gelu_tanh, soft-caps, sliding window, scaled embedding, sandwich norms
  ['phi3', 'q0bf16'], // bf16 weights, partial rotary
  ['llama-tied', 'q4f32_1'], // tied head on a quantised embedding, f32 scales
];

// The forward's runtime variables for the test: a 3-token chunk at position 4 of a 16-token cache.
const ENV = { n: 3, pos: 4, cap: 16, rows: 2, first: 1 };
const CHUNK = 8;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  id: string;
  kernel: Kernel;
  /** The plan's own kernel when `kernel` is its GPU-shaped replacement (both must compute the same). */
  original?: Kernel;
  sizes: Record<string, number>;
  scalars: Record<string, number>;
}

function elements(ref: BufRef, plan: Plan, vocab: number): number {
  switch (ref.k) {
    case 'param': return plan.params.find((p) => p.name === ref.name)!.shape.reduce((a, b) => a * b, 1);
    case 'scratch': return plan.scratch.find((s) => s.name === ref.name)!.width * CHUNK;
    case 'kv': return plan.kv.kvHeads * ENV.cap * plan.kv.headDim;
    case 'tokens': return CHUNK;
    case 'logits': return CHUNK * vocab;
    case 'table': return plan.tables.find((t) => t.name === ref.name)!.values.length;
  }
}

function casesFor(fixture: string, quantization: string): Case[] {
  const dir = path.join(work, `${fixture}-${quantization}`);
  genConfig({ source: path.join(HF_TINY, fixture), quantization, convTemplate: 'LM', output: dir });
  const { plan, dims } = lowerToWebgpu(dir, { context_window_size: ENV.cap, prefill_chunk_size: CHUNK });
  const seen = new Map<string, Case>();
  for (const s of plan.steps) {
    for (const [k0, single] of [[s.kernel, false], [s.single, true]] as const) {
      if (!k0) continue;
      const k = gpuVariant(k0, dims);
      if (seen.has(k.name)) continue;
      const sizes: Record<string, number> = {};
      k.buffers.forEach((b, i) => (sizes[b.name] = elements(s.bufs[i], plan, dims.vocab)));
      const scalars: Record<string, number> = {};
      if (!single) k.scalars.forEach((sc, i) => (scalars[sc.name] = evalIntExpr(s.scalars[i], ENV)));
      seen.set(k.name, { id: `${fixture} ${quantization} ${k.name}`, kernel: k, original: k === k0 ? undefined : k0, sizes, scalars });
    }
  }
  return [...seen.values()];
}

function randomInputs(k: Kernel, sizes: Record<string, number>, vocab: number, seed: number): Record<string, IrArray> {
  const r = rng(seed);
  const out: Record<string, IrArray> = {};
  for (const b of k.buffers) {
    const a = arrayFor(b.t, sizes[b.name]);
    for (let i = 0; i < a.length; i++) {
      const x = 2 * r() - 1;
      if (b.t === 'f32') a[i] = x;
      else if (b.t === 'f16') a[i] = f32ToF16(x * 0.5);
      else if (b.t === 'bf16') a[i] = f32ToBf16(x * 0.5);
      else if (b.t === 'u32') a[i] = Math.floor(r() * 2 ** 32);
      else if (b.t === 'i32') a[i] = Math.floor(r() * vocab);
    }
    out[b.name] = a;
  }
  return out;
}

const clone = (x: Record<string, IrArray>) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, v.slice()])) as Record<string, IrArray>;

let device: GPUDevice | undefined;
let skip: string | null = 'not checked';
let restoreEnv = () => {};
afterAll(() => {
  device?.destroy(); // release the GPU before the next suite (jest runs in band on 2 cores)
  restoreEnv();
});
beforeAll(async () => {
  restoreEnv = useSwiftShaderIfNoDriverChosen();
  skip = await nodeWebgpuUnavailable();
  if (skip) console.warn(`webgpu conformance skipped: ${skip}`);
  else {
    const got = await requestWebgpuDevice(nodeGpu());
    device = got.device;
    console.log(`webgpu conformance on ${got.info.description}; 16-bit storage modes: ${got.info.f16 ? 'packed + native shader-f16' : 'packed (no shader-f16)'}`);
  }
});

describe('webgpu kernel conformance (WGSL on Dawn vs the IR interpreter)', () => {
  it.each(MATRIX)('%s %s: every kernel agrees, stays finite and in bounds', async (fixture, quantization) => {
    if (skip) return console.warn(`skipped: ${skip}`);
    const cases = casesFor(fixture, quantization);
    const modes: F16Mode[] = device!.features.has('shader-f16') ? ['packed', 'native'] : ['packed'];
    const failures: string[] = [];
    let checked = 0;
    for (const c of cases) {
      const inputs = randomInputs(c.kernel, c.sizes, 256, c.id.length * 7919);
      const want = clone(inputs);
      interpretKernel(c.kernel, want, c.scalars);
      if (c.original) {
        // The replacement means what the plan's kernel means (to float32 rounding).
        const orig = clone(inputs);
        interpretKernel(c.original, orig, c.scalars);
        for (const b of c.kernel.buffers.filter((x) => x.access !== 'in')) {
          const d = orig[b.name].findIndex((x, i) => Math.abs(x - want[b.name][i]) > 1e-4 + 1e-4 * Math.abs(x));
          if (d >= 0) failures.push(`${c.id}: ${b.name}[${d}] = ${want[b.name][d]}, the plan's ${c.original.name} gives ${orig[b.name][d]}`);
        }
      }
      for (const mode of modes) {
        const rendered = renderKernelWgsl(c.kernel, { f16: mode, maxLocal: ENV.cap, workgroupSize: WORKGROUP_SIZE });
        const got = await runWgslKernel(device!, rendered, c.kernel, clone(inputs), c.scalars);
        if (got.clobbered.length) failures.push(`${c.id} [${mode}]: wrote outside ${got.clobbered.join(', ')}`);
        for (const [name, g] of Object.entries(got.outputs)) {
          const w = want[name];
          let worst = 0;
          let at = -1;
          for (let i = 0; i < w.length; i++) {
            const bad = Number.isFinite(w[i]) && !Number.isFinite(g[i]);
            const err = Math.abs(g[i] - w[i]) / (1e-4 + 1e-4 * Math.abs(w[i]));
            if (bad || err > worst) [worst, at] = [bad ? Infinity : err, i];
          }
          if (worst > 1) failures.push(`${c.id} [${mode}]: ${name}[${at}] = ${g[at]}, IR says ${w[at]}`);
          checked++;
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(cases.length);
  });
});
