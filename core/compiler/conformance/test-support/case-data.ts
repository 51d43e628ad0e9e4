import { f16ToF32, f32ToF16, bf16ToF32, f32ToBf16 } from '../../../support/dtype';
import type { GroupQuant } from '../../lower/quant';

/**
 * Case data shared by the kernel conformance suites of every target (core/compiler/conformance for C++,
 * core/webgpu for WGSL): a seeded generator, sentinel-padded outputs that catch out-of-bounds writes, and
 * model-dtype / packed-group inputs with their exact values, written out from the spec independently of the code
 * under test.
 */

export const SENTINEL = Math.fround(12345.678);
export const PAD = 16;

let seed = 42;
export const rnd = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
export const randn = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => (rnd() * 2 - 1) * scale);

export function padded(n: number): Float32Array {
  const a = new Float32Array(n + PAD);
  a.fill(SENTINEL, n);
  return a;
}

export function expectClose(got: Float32Array, want: ArrayLike<number>, tol: number) {
  let maxErr = 0;
  for (let i = 0; i < want.length; i++) {
    expect(Number.isFinite(got[i])).toBe(true);
    maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  }
  expect(maxErr).toBeLessThan(tol);
  for (let i = want.length; i < got.length; i++) expect(got[i]).toBe(SENTINEL);
}

export function storeModelDtype(values: Float32Array, dt: string): { stored: Float32Array | Uint16Array; exact: Float32Array } {
  if (dt === 'f32') return { stored: values, exact: values };
  const enc = dt === 'f16' ? f32ToF16 : f32ToBf16;
  const dec = dt === 'f16' ? f16ToF32 : bf16ToF32;
  const stored = Uint16Array.from(values, (x) => enc(x));
  return { stored, exact: Float32Array.from(stored, (h) => dec(h)) };
}

/** Random packed weights and their dequantised values (spec §5.3 step 6, written out independently). */
export function randomGroupWeights(q: GroupQuant, n: number, k: number, transposed: boolean) {
  const perWord = Math.floor(32 / q.bits);
  const ng = Math.ceil(k / q.groupSize);
  const words = ng * Math.ceil(q.groupSize / perWord);
  const codes = Array.from({ length: n * k }, () => Math.floor(rnd() * (2 * (2 ** (q.bits - 1) - 1) + 1)));
  const scale = storeModelDtype(Float32Array.from({ length: n * ng }, () => 0.01 + rnd() * 0.05), q.modelDtype);
  const packed = new Uint32Array(n * words);
  for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) packed[r * words + Math.floor(c / perWord)] |= codes[r * k + c] << ((c % perWord) * q.bits);
  const w = new Float32Array(n * k);
  const maxq = 2 ** (q.bits - 1) - 1;
  for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) w[r * k + c] = (codes[r * k + c] - maxq) * scale.exact[r * ng + Math.floor(c / q.groupSize)];
  if (!transposed) return { buffers: [packed, scale.stored], w };
  const tp = new Uint32Array(n * words);
  for (let r = 0; r < n; r++) for (let j = 0; j < words; j++) tp[j * n + r] = packed[r * words + j];
  const ts = new (scale.stored.constructor as { new (n: number): Uint16Array | Float32Array })(scale.stored.length);
  for (let r = 0; r < n; r++) for (let g = 0; g < ng; g++) ts[g * n + r] = scale.stored[r * ng + g];
  return { buffers: [tp, ts], w };
}

