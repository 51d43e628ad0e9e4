/**
 * Every cpu kernel against the TypeScript reference (core/reference primitives, float64), in two
 * builds: AVX2 (with the hand-written q4 fast paths) and baseline x86-64 (the IR-generated fallbacks),
 * with 1 and 2 threads. Outputs carry a sentinel tail that must survive (no out-of-bounds writes) and
 * must be finite.
 */
import { buildKernelHarness, type Isa, type KernelHarness } from './harness';
import { ATTENTION_CASES, ELEMENTWISE_KERNELS, MATMUL_CASES, attentionCaseKernels, matmulCaseKernel, type MatmulCase } from './cases';
import { quantScheme, linearParams, type GroupQuant } from '../lower/quant';
import { findGxx, hostCpuFlags } from '../toolchain/gxx';
import { linear, rmsNorm, attention, applyRope, softcap, silu, geluTanh, ropeBaseInvFreq } from '../../reference';
import type { Kernel } from '../ir/ir';
import { expectClose, padded, randn, randomGroupWeights, storeModelDtype } from './test-support/case-data';





const haveCompiler = findGxx() !== null;
if (!haveCompiler) console.warn('conformance skipped: no C++ compiler');
const host = hostCpuFlags();
const isas: Isa[] = !haveCompiler ? [] : host.has('avx2') && host.has('fma') ? ['avx2', 'portable', ...(host.has('avx512f') ? ['native' as const] : [])] : ['portable'];
if (haveCompiler && isas.length === 1) console.warn('conformance: host lacks AVX2/FMA, only the portable build runs');

const allKernels: Kernel[] = [
  ...MATMUL_CASES.map(matmulCaseKernel),
  ...ATTENTION_CASES.flatMap((c) => Object.values(attentionCaseKernels(c))),
  ...Object.values(ELEMENTWISE_KERNELS),
];

describe.each(isas)('cpu kernels vs reference (%s build)', (isa) => {
  let h: KernelHarness;
  beforeAll(() => {
    h = buildKernelHarness(allKernels, isa);
  });

  it.each(MATMUL_CASES.map((c) => [`${c.op} ${c.quantization} n${c.n} k${c.k} rows${c.rows}${c.bias ? ' bias' : ''}${c.embedding ? ' emb' : ''}${c.int8 ? ' int8-act' : ''}`, c] as [string, MatmulCase]))('%s', (_l, c) => {
    const q = quantScheme(c.quantization);
    const kernel = matmulCaseKernel(c);
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
    for (const threads of [1, 2]) {
      const y = padded(c.rows * c.n);
      h.run(kernel.name, [x, ...weights, ...(bias ? [bias.stored] : []), y], c.op === 'gemv' ? [] : [c.rows], threads);
      if (c.int8 && isa !== 'portable') {
        // int8 activations: error relative to the output's scale (llama.cpp Q8_0-level accuracy).
        const scale = Math.max(...Array.from(want, Math.abs));
        const scaled = Float32Array.from(y, (v, i) => (i < want.length ? v / scale : v));
        expectClose(scaled, Float32Array.from(want, (v) => v / scale), 2e-2);
      } else expectClose(y, want, 1e-5);
    }
  });

  it.each(ATTENTION_CASES.map((c) => [JSON.stringify(c), c] as const))('kv_append + attention %s', (_l, c) => {
    const { append, attn } = attentionCaseKernels(c);
    const cap = c.pos + c.n + 3;
    const rowLen = (c.hq + 2 * c.hkv) * c.d;
    // History: the first `pos` positions come from an earlier append of random rows.
    const history = randn(c.pos * rowLen);
    const cur = randn(c.n * rowLen);
    const kc = new Float32Array(c.hkv * cap * c.d);
    const vc = new Float32Array(c.hkv * cap * c.d);
    if (c.pos > 0) h.run(append.name, [history, kc, vc], [c.pos, 0, cap]);
    h.run(append.name, [cur, kc, vc], [c.n, c.pos, cap]);
    const all = new Float32Array([...history, ...cur]);
    const T = c.pos + c.n;
    const pick = (off: number, heads: number, from: Float32Array, rows: number, firstRow: number) => {
      const out = new Float32Array(rows * heads * c.d);
      for (let t = 0; t < rows; t++) for (let i = 0; i < heads * c.d; i++) out[t * heads * c.d + i] = from[(firstRow + t) * rowLen + off + i];
      return out;
    };
    const q = pick(0, c.hq, all, c.n, c.pos);
    const k = pick(c.hq * c.d, c.hkv, all, T, 0);
    const v = pick((c.hq + c.hkv) * c.d, c.hkv, all, T, 0);
    const want = attention(q, k, v, c.n, T, {
      numHeads: c.hq, numKvHeads: c.hkv, headDim: c.d, scale: 1 / Math.sqrt(c.d),
      softcap: c.softcap || null, slidingWindow: c.window || null,
    });
    for (const threads of [1, 2]) {
      const out = padded(c.n * c.hq * c.d);
      h.run(attn.name, [cur, kc, vc, out], [c.n, c.pos, cap], threads);
      expectClose(out, want, 1e-5);
    }
  });

  it('rms_norm (f32 and f16 weights, in place)', () => {
    for (const [kernel, dim, eps, dt] of [[ELEMENTWISE_KERNELS.rmsF32, 96, 1e-6, 'f32'], [ELEMENTWISE_KERNELS.rmsF16, 60, 1e-5, 'f16']] as const) {
      const x = randn(3 * dim, 2);
      const w = storeModelDtype(randn(dim), dt);
      const want = rmsNorm(x, w.exact, 3, dim, eps);
      const y = padded(3 * dim);
      h.run(kernel.name, [x, w.stored, y], [3]);
      expectClose(y, want, 1e-5);
      const inPlace = Float32Array.from(x);
      h.run(kernel.name, [inPlace, w.stored, inPlace], [3]);
      expectClose(inPlace, want, 1e-5);
    }
  });

  it('qk_norm normalises q and k heads, leaves v heads', () => {
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
    h.run(ELEMENTWISE_KERNELS.qkNorm.name, [got, wq, wk], [rows]);
    expectClose(got, want, 1e-5);
  });

  it('rope (full and partial rotary) at an offset position', () => {
    for (const [kernel, heads, rd] of [[ELEMENTWISE_KERNELS.rope, 4 + 2, 16], [ELEMENTWISE_KERNELS.ropePartial, 2 + 2, 8]] as const) {
      const hkv = kernel === ELEMENTWISE_KERNELS.rope ? 2 : 2;
      const rowLen = (heads + hkv) * 16;
      const n = 3, pos = 7;
      const qkv = randn(n * rowLen);
      const inv = Float32Array.from(ropeBaseInvFreq(10000, rd), (x) => Math.fround(x));
      const got = Float32Array.from(qkv);
      h.run(kernel.name, [got, inv], [n, pos]);
      // Reference: rotate the q and k heads of each row; v heads stay.
      const qk = new Float32Array(n * heads * 16);
      for (let t = 0; t < n; t++) qk.set(qkv.subarray(t * rowLen, t * rowLen + heads * 16), t * heads * 16);
      const rot = applyRope(qk, n, heads, 16, [pos, pos + 1, pos + 2], { theta: 10000, rotaryDim: rd, scaling: null });
      const want = Float32Array.from(qkv);
      for (let t = 0; t < n; t++) want.set(rot.subarray(t * heads * 16, (t + 1) * heads * 16), t * rowLen);
      expectClose(got, want, 1e-5);
    }
  });

  it('gated activations, residual add, softcap, embedding', () => {
    for (const [kernel, inter, act] of [[ELEMENTWISE_KERNELS.silu, 40, silu], [ELEMENTWISE_KERNELS.gelu, 24, geluTanh]] as const) {
      const gu = randn(2 * 2 * inter, 4);
      const want = new Float32Array(2 * inter);
      for (let t = 0; t < 2; t++) for (let i = 0; i < inter; i++) want[t * inter + i] = act(gu[t * 2 * inter + i]) * gu[t * 2 * inter + inter + i];
      const out = padded(2 * inter);
      h.run(kernel.name, [gu, out], [2]);
      expectClose(out, want, 1e-5);
    }
    const x = randn(2 * 48), y = randn(2 * 48);
    const sum = Float32Array.from(x, (v, i) => v + y[i]);
    h.run(ELEMENTWISE_KERNELS.residual.name, [x, y], [2]);
    expectClose(x, sum, 1e-7);
    const l = randn(2 * 33, 100);
    const capped = Float32Array.from(l, (v) => softcap(v, 30));
    h.run(ELEMENTWISE_KERNELS.softcap.name, [l], [2]);
    expectClose(l, capped, 1e-5);

    const g = randomGroupWeights(quantScheme('q4f16_1') as GroupQuant, 20, 64, false);
    const tokens = Int32Array.from([3, 19, 0]);
    const out = padded(3 * 64);
    h.run(ELEMENTWISE_KERNELS.embedQ4.name, [tokens, ...g.buffers, out], [3]);
    const want = new Float32Array(3 * 64);
    tokens.forEach((tok, t) => { for (let i = 0; i < 64; i++) want[t * 64 + i] = g.w[tok * 64 + i] * 8; });
    expectClose(out, want, 1e-6);
  });
});
