/**
 * The compiler's conformance cases (core/compiler/conformance/cases.ts: odd shapes, every quantization,
 * windows, soft-caps, in-place norms) on WebGPU in Node, against the TypeScript reference implementation
 * (core/reference primitives, float64), as core/compiler/conformance/conformance.test.ts runs them for the cpu
 * build. Each kernel goes through what the webgpu library runs: its GPU-shaped replacement where there is one
 * (render/library-wgsl.ts), aliasing when a case passes one array twice. Outputs carry a sentinel tail that
 * must survive and must be finite. The int8-activation GEMV cases are a cpu-only O3 path and are not run.
 */
import { ATTENTION_CASES, ELEMENTWISE_KERNELS, MATMUL_CASES, attentionCaseKernels, matmulCaseKernel, type MatmulCase } from '../compiler/conformance/cases';
import { quantScheme, linearParams, type GroupQuant } from '../compiler/lower/quant';
import { linear, rmsNorm, attention, applyRope, softcap, silu, geluTanh, ropeBaseInvFreq } from '../reference';
import type { Kernel } from '../compiler/ir/ir';
import type { ModelDims } from '../compiler/lower/model-dims';
import { gpuVariant } from '../compiler/render/library-wgsl';
import { renderKernelWgsl, WORKGROUP_SIZE, type F16Mode } from '../compiler/render/wgsl';
import { nodeGpu, nodeWebgpuUnavailable } from './node';
import { requestWebgpuDevice } from './model';
import { runWgslKernel } from './test-support/run-wgsl-kernel';
import type { IrArray } from './test-support/ir-interpreter';
import { useSwiftShaderIfNoDriverChosen } from './test-support/real-env';
import { expectClose, padded, randn, randomGroupWeights, storeModelDtype } from '../compiler/conformance/test-support/case-data';





let device: GPUDevice | undefined;
let skip: string | null = 'not checked';
let modes: F16Mode[] = ['packed'];
let restoreEnv = () => {};
beforeAll(async () => {
  restoreEnv = useSwiftShaderIfNoDriverChosen();
  skip = await nodeWebgpuUnavailable();
  if (skip) console.warn(`webgpu reference conformance skipped: ${skip}`);
  else {
    device = (await requestWebgpuDevice(nodeGpu())).device;
    if (device.features.has('shader-f16')) modes = ['packed', 'native'];
  }
});
afterAll(() => {
  device?.destroy();
  restoreEnv();
});

/**
 * The KernelHarness contract on WebGPU: buffers in kernel order (written in place), then the scalars.
 * `attn` gives the attention scale and soft-cap the library would take from the model's dims.
 */
async function run(kernel: Kernel, buffers: ArrayBufferView[], scalars: number[], attn = { scale: 0, softcap: 0 }): Promise<void> {
  const k = gpuVariant(kernel, { attnScale: attn.scale, attnSoftcap: attn.softcap } as ModelDims);
  const alias: Record<string, string> = {};
  k.buffers.forEach((b, i) => {
    const first = buffers.findIndex((x, j) => j < i && x === buffers[i]);
    if (first >= 0) alias[b.name] = k.buffers[first].name;
  });
  const inputs: Record<string, IrArray> = {};
  k.buffers.forEach((b, i) => (inputs[b.name] = buffers[i] as IrArray));
  const sc: Record<string, number> = {};
  k.scalars.forEach((s, i) => (sc[s.name] = scalars[i]));
  let firstOut: Record<string, IrArray> | undefined;
  for (const mode of modes) {
    const r = renderKernelWgsl(k, { f16: mode, maxLocal: 64, workgroupSize: WORKGROUP_SIZE, alias });
    const got = await runWgslKernel(device!, r, k, inputs, sc);
    expect(got.clobbered).toEqual([]);
    if (firstOut) for (const [name, a] of Object.entries(got.outputs)) expect(Array.from(a)).toEqual(Array.from(firstOut[name]));
    firstOut ??= got.outputs;
  }
  for (const [name, a] of Object.entries(firstOut!)) (inputs[name] as unknown as { set(x: ArrayLike<number>): void }).set(a);
}

const cases = MATMUL_CASES.filter((c) => !c.int8).map((c) => [`${c.op} ${c.quantization} n${c.n} k${c.k} rows${c.rows}${c.bias ? ' bias' : ''}${c.embedding ? ' emb' : ''}`, c] as [string, MatmulCase]);

describe('webgpu kernels vs the TypeScript reference (the compiler conformance cases)', () => {
  it.each(cases)('%s', async (_l, c) => {
    if (skip) return console.warn(`skipped: ${skip}`);
    const q = quantScheme(c.quantization);
    const x = randn(c.rows * c.k);
    let weights: ArrayBufferView[];
    let w: Float32Array;
    if (q.kind === 'group') {
      const g = randomGroupWeights(q, c.n, c.k, q.layout === 'KN' && !c.embedding);
      weights = g.buffers;
      w = g.w;
      expect(linearParams(q, 'p', c.n, c.k, c.embedding).map((p) => p.shape.reduce((a, b) => a * b, 1))).toEqual(weights.map((b) => (b as Uint32Array).length));
    } else {
      const s = storeModelDtype(randn(c.n * c.k, 0.1), q.modelDtype);
      weights = [s.stored];
      w = s.exact;
    }
    const bias = c.bias ? storeModelDtype(randn(c.n), q.modelDtype) : null;
    const want = linear(x, c.rows, c.k, w, c.n, bias?.exact ?? null);
    const y = padded(c.rows * c.n);
    await run(matmulCaseKernel(c), [x, ...weights, ...(bias ? [bias.stored] : []), y], c.op === 'gemv' ? [] : [c.rows]);
    expectClose(y, want, 1e-5);
  });

  it.each(ATTENTION_CASES.map((c) => [JSON.stringify(c), c] as const))('kv_append + attention %s', async (_l, c) => {
    if (skip) return console.warn(`skipped: ${skip}`);
    const { append, attn } = attentionCaseKernels(c);
    const cap = c.pos + c.n + 3;
    const rowLen = (c.hq + 2 * c.hkv) * c.d;
    const history = randn(c.pos * rowLen);
    const cur = randn(c.n * rowLen);
    const kc = new Float32Array(c.hkv * cap * c.d);
    const vc = new Float32Array(c.hkv * cap * c.d);
    if (c.pos > 0) await run(append, [history, kc, vc], [c.pos, 0, cap]);
    await run(append, [cur, kc, vc], [c.n, c.pos, cap]);
    const all = new Float32Array([...history, ...cur]);
    const T = c.pos + c.n;
    const pick = (off: number, heads: number, rows: number, firstRow: number) => {
      const out = new Float32Array(rows * heads * c.d);
      for (let t = 0; t < rows; t++) for (let i = 0; i < heads * c.d; i++) out[t * heads * c.d + i] = all[(firstRow + t) * rowLen + off + i];
      return out;
    };
    const want = attention(pick(0, c.hq, c.n, c.pos), pick(c.hq * c.d, c.hkv, T, 0), pick((c.hq + c.hkv) * c.d, c.hkv, T, 0), c.n, T, {
      numHeads: c.hq, numKvHeads: c.hkv, headDim: c.d, scale: 1 / Math.sqrt(c.d), softcap: c.softcap || null, slidingWindow: c.window || null,
    });
    const out = padded(c.n * c.hq * c.d);
    await run(attn, [cur, kc, vc, out], [c.n, c.pos, cap], { scale: 1 / Math.sqrt(c.d), softcap: c.softcap });
    expectClose(out, want, 1e-5);
  });

  it('rms_norm (f32 and f16 weights, in place), qk_norm', async () => {
    if (skip) return console.warn(`skipped: ${skip}`);
    for (const [kernel, dim, eps, dt] of [[ELEMENTWISE_KERNELS.rmsF32, 96, 1e-6, 'f32'], [ELEMENTWISE_KERNELS.rmsF16, 60, 1e-5, 'f16']] as const) {
      const x = randn(3 * dim, 2);
      const w = storeModelDtype(randn(dim), dt);
      const want = rmsNorm(x, w.exact, 3, dim, eps);
      const y = padded(3 * dim);
      await run(kernel, [x, w.stored, y], [3]);
      expectClose(y, want, 1e-5);
      const inPlace = Float32Array.from(x);
      await run(kernel, [inPlace, w.stored, inPlace], [3]);
      expectClose(inPlace, want, 1e-5);
    }
    const rows = 2, hq = 4, hkv = 2, d = 16, rowLen = (hq + 2 * hkv) * d;
    const qkv = randn(rows * rowLen);
    const wq = randn(d), wk = randn(d);
    const want = Float32Array.from(qkv);
    for (let t = 0; t < rows; t++)
      for (let hh = 0; hh < hq + hkv; hh++) {
        const off = t * rowLen + hh * d;
        want.set(rmsNorm(qkv.subarray(off, off + d), hh < hq ? wq : wk, 1, d, 1e-6), off);
      }
    const got = Float32Array.from(qkv);
    await run(ELEMENTWISE_KERNELS.qkNorm, [got, wq, wk], [rows]);
    expectClose(got, want, 1e-5);
  });

  it('rope (full and partial rotary) at an offset position', async () => {
    if (skip) return console.warn(`skipped: ${skip}`);
    for (const [kernel, heads, rd] of [[ELEMENTWISE_KERNELS.rope, 4 + 2, 16], [ELEMENTWISE_KERNELS.ropePartial, 2 + 2, 8]] as const) {
      const rowLen = (heads + 2) * 16;
      const n = 3, pos = 7;
      const qkv = randn(n * rowLen);
      const inv = Float32Array.from(ropeBaseInvFreq(10000, rd), (x) => Math.fround(x));
      const got = Float32Array.from(qkv);
      await run(kernel, [got, inv], [n, pos]);
      const qk = new Float32Array(n * heads * 16);
      for (let t = 0; t < n; t++) qk.set(qkv.subarray(t * rowLen, t * rowLen + heads * 16), t * heads * 16);
      const rot = applyRope(qk, n, heads, 16, [pos, pos + 1, pos + 2], { theta: 10000, rotaryDim: rd, scaling: null });
      const want = Float32Array.from(qkv);
      for (let t = 0; t < n; t++) want.set(rot.subarray(t * heads * 16, (t + 1) * heads * 16), t * rowLen);
      expectClose(got, want, 1e-5);
    }
  });

  it('gated activations, residual add, softcap, embedding', async () => {
    if (skip) return console.warn(`skipped: ${skip}`);
    for (const [kernel, inter, act] of [[ELEMENTWISE_KERNELS.silu, 40, silu], [ELEMENTWISE_KERNELS.gelu, 24, geluTanh]] as const) {
      const gu = randn(2 * 2 * inter, 4);
      const want = new Float32Array(2 * inter);
      for (let t = 0; t < 2; t++) for (let i = 0; i < inter; i++) want[t * inter + i] = act(gu[t * 2 * inter + i]) * gu[t * 2 * inter + inter + i];
      const out = padded(2 * inter);
      await run(kernel, [gu, out], [2]);
      expectClose(out, want, 1e-5);
    }
    const x = randn(2 * 48), y = randn(2 * 48);
    const sum = Float32Array.from(x, (v, i) => v + y[i]);
    await run(ELEMENTWISE_KERNELS.residual, [x, y], [2]);
    expectClose(x, sum, 1e-7);
    const l = randn(2 * 33, 100);
    const capped = Float32Array.from(l, (v) => softcap(v, 30));
    await run(ELEMENTWISE_KERNELS.softcap, [l], [2]);
    expectClose(l, capped, 1e-5);
    const g = randomGroupWeights(quantScheme('q4f16_1') as GroupQuant, 20, 64, false);
    const tokens = Int32Array.from([3, 19, 0]);
    const out = padded(3 * 64);
    await run(ELEMENTWISE_KERNELS.embedQ4, [tokens, ...g.buffers, out], [3]);
    const want = new Float32Array(3 * 64);
    tokens.forEach((tok, t) => { for (let i = 0; i < 64; i++) want[t * 64 + i] = g.w[tok * 64 + i] * 8; });
    expectClose(out, want, 1e-6);
  });
});
