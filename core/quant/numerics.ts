/**
 * Bit-level float conversions used in the quantizer's inner loops. They work on float32 bit patterns
 * (Uint32 views) so that no loop allocates, and they round to nearest, ties to even, like numpy's astype
 * and TVM's casts. Values of one op computed in float32 (or double) and then rounded to fp16/bf16 equal the
 * exactly rounded result (p >= 2q + 2), which is what makes "fp16 per-op rounding" cheap to emulate.
 */

const F = new Float32Array(1);
const U = new Uint32Array(F.buffer);

/** Adding and subtracting 1.5 * 2^52 rounds a double to an integer, ties to even. */
export const RINT_MAGIC = 6755399441055744;

/** float32 bits → float32 bits of the nearest float16 value (RNE; overflow → ±inf; NaN kept). */
export function f16RoundBits(u: number): number {
  const a = u & 0x7fffffff;
  if (a >= 0x38800000) {
    if (a >= 0x477ff000) return a > 0x7f800000 ? u >>> 0 : ((u & 0x80000000) | 0x7f800000) >>> 0;
    return ((u + 0xfff + ((u >>> 13) & 1)) & 0xffffe000) >>> 0;
  }
  // fp16 subnormal range: a fixed quantum of 2^-24
  U[0] = a;
  F[0] = (F[0] * 16777216 + RINT_MAGIC - RINT_MAGIC) / 16777216;
  return (U[0] | (u & 0x80000000)) >>> 0;
}

/** float32 bits → float32 bits of the nearest bfloat16 value (RNE; NaN kept quiet). */
export function bf16RoundBits(u: number): number {
  if ((u & 0x7fffffff) > 0x7f800000) return (u | 0x400000) & 0xffff0000;
  return ((u + 0x7fff + ((u >>> 16) & 1)) & 0xffff0000) >>> 0;
}

/** A double rounded to the nearest float16 value. */
export function roundF16(x: number): number {
  F[0] = x;
  U[0] = f16RoundBits(U[0]);
  return F[0];
}

/** A double rounded to the nearest bfloat16 value (through float32, as numpy/ml_dtypes do). */
export function roundBf16(x: number): number {
  F[0] = x;
  U[0] = bf16RoundBits(U[0]);
  return F[0];
}

/** float32 bits of a value that is exactly an fp16 value → its fp16 bits. */
export function f16BitsOfExact(u: number): number {
  const s = (u >>> 16) & 0x8000;
  const a = u & 0x7fffffff;
  if (a >= 0x7f800000) return s | (a > 0x7f800000 ? 0x7e00 : 0x7c00);
  if (a >= 0x38800000) return s | (((a >>> 23) - 112) << 10) | ((a >>> 13) & 0x3ff);
  U[0] = a;
  return s | Math.round(F[0] * 16777216);
}

/** fp16 bits → float32 bits (exact). */
export function f32BitsOfF16(h: number): number {
  const s = (h & 0x8000) << 16;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return (s | 0x7f800000 | (m << 13)) >>> 0;
  if (e !== 0) return (s | ((e + 112) << 23) | (m << 13)) >>> 0;
  if (m === 0) return s >>> 0;
  F[0] = m / 16777216;
  return (U[0] | s) >>> 0;
}

/** TVM's `f32-to-bf16` storage encoding (spec §4.4): RNE inside ±3.3895314e38, plain truncation outside and for inf/NaN. */
export function f32ToBf16Storage(u: number): number {
  if ((u & 0x7fffffff) < 0x7f7f0000) return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
  return (u >>> 16) & 0xffff;
}
