/**
 * Scalar conversions between the floating-point storage formats of checkpoints and MLC artifacts.
 * Everything rounds to nearest, ties to even, as numpy's astype and TVM's casts do.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** bfloat16 bits → number (exact). */
export function bf16ToF32(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0];
}

/** number → bfloat16 bits, via float32, round-to-nearest-even; NaN stays a quiet NaN. */
export function f32ToBf16(x: number): number {
  f32[0] = x;
  const u = u32[0];
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 0x40) & 0xffff;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** float16 bits → number (exact, subnormals and inf/NaN included). */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * number (any double) → float16 bits, correctly rounded (RNE) from the double itself. Rounding a double
 * straight to fp16 equals numpy's float32→float16 whenever the value is already a float32, and it is what
 * exact per-op fp16 arithmetic needs (the result of an op computed in double is then rounded once).
 */
export function f32ToF16(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  let a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  if (a >= 65520) return sign | 0x7c00; // rounds past the largest finite half (65504)
  if (a < 2 ** -14) {
    // subnormal: quantum 2^-24
    const q = roundHalfEven(a * 2 ** 24);
    return sign | q; // q may be 1024, which is exactly the smallest normal's encoding
  }
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  if (2 ** (e + 1) <= a) e += 1;
  const m = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (m === 1024) {
    e += 1;
    if (e > 15) return sign | 0x7c00;
    return sign | ((e + 15) << 10);
  }
  return sign | ((e + 15) << 10) | m;
}

/** Round to nearest integer, ties to even (IEEE roundTiesToEven), for finite doubles. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v); // ties toward +inf
  if (r - v === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/** Round a double to the nearest float16 value (returned as a number). */
export function roundToF16(x: number): number {
  return f16ToF32(f32ToF16(x));
}

/** Round a double to the nearest bfloat16 value (via float32, as numpy does). */
export function roundToBf16(x: number): number {
  return bf16ToF32(f32ToBf16(x));
}

/** float8 e4m3fn bits → number (no infinities; 0x7f/0xff are NaN). */
export function f8e4m3ToF32(b: number): number {
  const sign = b & 0x80 ? -1 : 1;
  const exp = (b >>> 3) & 0xf;
  const frac = b & 0x7;
  if (exp === 0xf && frac === 0x7) return NaN;
  if (exp === 0) return sign * frac * 2 ** -9;
  return sign * (1 + frac / 8) * 2 ** (exp - 7);
}

/** float8 e5m2 bits → number (IEEE-like: inf and NaN exist). */
export function f8e5m2ToF32(b: number): number {
  return f16ToF32((b & 0xff) << 8);
}
