import type { GroupQuantization, ModelDtype } from './registry';
import { bf16RoundBits, f16BitsOfExact, f16RoundBits, f32BitsOfF16, f32ToBf16Storage, RINT_MAGIC, roundBf16, roundF16 } from './numerics';

/**
 * The hot loops of convert-weight, on typed arrays with no per-element allocation (spec §5.3).
 * Values travel as Float32Array holding numbers that are exactly representable in the model dtype.
 */

export type FloatSourceDtype = 'F32' | 'F16' | 'BF16';

/** Which dtype the gemma "+1" is computed in (numpy's dtype of the loaded source array), or none. */
export type PlusOne = false | FloatSourceDtype;

/**
 * Source element bytes (little-endian, 4-byte aligned buffer) → values in the model dtype, the way
 * MLC's loader does `astype(model_dtype)` (optionally after `x + 1` in the source dtype).
 * Returns the index of the first NaN/Inf source element, or -1.
 */
export function decodeToModel(src: Uint8Array, srcDtype: FloatSourceDtype, n: number, model: ModelDtype, plusOne: PlusOne, out: Float32Array): number {
  const o = new Uint32Array(out.buffer, out.byteOffset, n);
  let bad = -1;
  if (srcDtype === 'BF16' && model === 'float16' && !plusOne) {
    // the hot path (bf16 checkpoints to fp16 schemes), fused into one pass: bf16 has fewer mantissa bits
    // than fp16, so only values outside fp16's normal range need rounding
    const s = new Uint16Array(src.buffer, src.byteOffset, n);
    for (let i = 0; i < n; i++) {
      const u = s[i] << 16;
      const a = u & 0x7fffffff;
      if (a < 0x38800000 || a >= 0x477ff000) {
        if (a >= 0x7f800000 && bad < 0) bad = i;
        o[i] = f16RoundBits(u >>> 0);
      } else o[i] = u;
    }
    return bad;
  }
  if (srcDtype === 'BF16') {
    const s = new Uint16Array(src.buffer, src.byteOffset, n);
    for (let i = 0; i < n; i++) o[i] = s[i] << 16;
  } else if (srcDtype === 'F16') {
    const s = new Uint16Array(src.buffer, src.byteOffset, n);
    for (let i = 0; i < n; i++) o[i] = f32BitsOfF16(s[i]);
  } else {
    o.set(new Uint32Array(src.buffer, src.byteOffset, n));
  }
  for (let i = 0; i < n; i++) {
    if ((o[i] & 0x7f800000) === 0x7f800000) {
      bad = i;
      break;
    }
  }
  if (plusOne) {
    for (let i = 0; i < n; i++) {
      const v = out[i] + 1; // exact in double; rounded once to the source dtype below
      out[i] = plusOne === 'BF16' ? roundBf16(v) : plusOne === 'F16' ? roundF16(v) : v;
    }
  }
  // Values are already in the model dtype when the source has it and no +1 in another dtype intervened.
  const inSourceDtype = !plusOne || plusOne === srcDtype;
  if (model === 'float16' && !(srcDtype === 'F16' && inSourceDtype)) for (let i = 0; i < n; i++) o[i] = f16RoundBits(o[i]);
  else if (model === 'bfloat16' && !(srcDtype === 'BF16' && inSourceDtype)) for (let i = 0; i < n; i++) o[i] = bf16RoundBits(o[i]);
  return bad;
}

/** Model-dtype values → their stored 16-bit patterns: fp16, bf16, or float32 through the `f32-to-bf16` encoding. */
export function encodeModel(values: Float32Array, n: number, model: ModelDtype, out: Uint16Array): void {
  const u = new Uint32Array(values.buffer, values.byteOffset, n);
  if (model === 'float16') for (let i = 0; i < n; i++) out[i] = f16BitsOfExact(u[i]);
  else if (model === 'bfloat16') for (let i = 0; i < n; i++) out[i] = u[i] >>> 16;
  else for (let i = 0; i < n; i++) out[i] = f32ToBf16Storage(u[i]);
}

/**
 * bf16 source → stored fp16 bits in one pass (q0f16/q4f16_2 norms and unquantized tensors of bf16 checkpoints).
 * Same result as decodeToModel + encodeModel. Returns the first NaN/Inf index or -1.
 */
export function castBf16ToF16Bits(src: Uint8Array, n: number, out: Uint16Array): number {
  const s = new Uint16Array(src.buffer, src.byteOffset, n);
  let bad = -1;
  for (let i = 0; i < n; i++) {
    const h = s[i];
    const e = (h >>> 7) & 0xff; // bf16 exponent
    if (e >= 113 && e <= 142) {
      // fp16 normal range [2^-14, 2^16): exact, just re-pack sign, exponent and the 7 mantissa bits
      out[i] = (h & 0x8000) | ((e - 112) << 10) | ((h & 0x7f) << 3);
    } else {
      if (e === 0xff && bad < 0) bad = i;
      out[i] = f16BitsOfExact(f16RoundBits(h << 16));
    }
  }
  return bad;
}

/** Stored 16-bit patterns → float32 values (inverse of encodeModel; float32 comes back with bf16 precision). */
export function decodeModel(stored: Uint16Array, n: number, model: ModelDtype, out: Float32Array): void {
  const u = new Uint32Array(out.buffer, out.byteOffset, n);
  if (model === 'float16') for (let i = 0; i < n; i++) u[i] = f32BitsOfF16(stored[i]);
  else for (let i = 0; i < n; i++) u[i] = stored[i] << 16;
}

export type GroupParams = Pick<GroupQuantization, 'groupSize' | 'bits' | 'elemsPerWord' | 'wordsPerGroup' | 'maxInt' | 'modelDtype'>;

/** Number of groups and storage words per row for a row length k. */
export function groupShape(k: number, q: GroupParams): { groups: number; words: number } {
  const groups = Math.ceil(k / q.groupSize);
  return { groups, words: groups * q.wordsPerGroup };
}

/**
 * Group-quantize `rows` rows of length k (NK layout, groups along k) — spec §5.3:
 * scale = T(maxabs / max_int) without epsilon; q = clamp(rint(T(T(w / scale) + max_int)), 0, 2·max_int);
 * LSB-first packing; lanes past k are 0. For fp16 every op is rounded to fp16; for bf16/f32 the
 * intermediates stay float32 and only the scale is rounded to the model dtype (TVM's bf16 legalization).
 * An all-zero group has scale 0, 0/0 = NaN, which the clamp (max first, select semantics) turns into 0.
 */
export function groupQuantize(w: Float32Array, rows: number, k: number, q: GroupParams, qWeight: Uint32Array, qScale: Float32Array): void {
  const G = q.groupSize;
  const bits = q.bits;
  const epw = q.elemsPerWord;
  const wpg = q.wordsPerGroup;
  const maxInt = q.maxInt;
  const hi = 2 * maxInt;
  const ng = Math.ceil(k / G);
  const fp16 = q.modelDtype === 'float16';
  const roundScale = fp16 ? roundF16 : q.modelDtype === 'bfloat16' ? roundBf16 : Math.fround;
  const L = fp16 ? fp16CodeThresholds(maxInt) : null;
  let wi = 0;
  let si = 0;
  for (let r = 0; r < rows; r++) {
    const rowEnd = r * k + k;
    for (let g = 0; g < ng; g++) {
      const s = r * k + g * G;
      const e = s + G < rowEnd ? s + G : rowEnd;
      let m = 0;
      for (let i = s; i < e; i++) {
        const a = Math.abs(w[i]);
        if (a > m) m = a;
      }
      const scale = roundScale(m / maxInt);
      qScale[si++] = scale;
      if (L !== null && bits === 4 && e - s === 32 && scale > 0) {
        wi = packFullQ4Group(w, s, scale, L, qWeight, wi);
        continue;
      }
      let i = s;
      for (let j = 0; j < wpg; j++) {
        let word = 0;
        for (let t = 0; t < epw; t++, i++) {
          if (i >= e) break;
          const x = w[i] / scale;
          let c: number;
          if (L !== null) {
            // rint(x + max_int) is off by at most one from the per-op fp16 result; the exact
            // boundaries (precomputed) settle it with two comparisons. NaN → 0, ±inf → clamp.
            c = x + maxInt + RINT_MAGIC - RINT_MAGIC;
            c = c > 0 ? c : 0;
            c = c < hi ? c : hi;
            if (c > 0 && x < L[c]) c--;
            else if (c < hi && x >= L[c + 1]) c++;
          } else {
            c = Math.fround(Math.fround(x) + maxInt) + RINT_MAGIC - RINT_MAGIC;
            c = c > 0 ? c : 0;
            c = c < hi ? c : hi;
          }
          word |= c << (t * bits);
        }
        qWeight[wi++] = word;
      }
    }
  }
}

/**
 * The common case (int4, fp16, a full group of 32, scale > 0): the same arithmetic as the generic loop with the
 * clamps dropped because they cannot bind: |w| <= maxabs and scale = fp16(maxabs / 7) >= maxabs / 7 · (1 − 2^-11),
 * so x + 7 lies in [−0.004, 14.004] and rint gives 0..14; L[0] = −inf and L[15] = +inf stop the correction.
 */
function packFullQ4Group(w: Float32Array, s: number, scale: number, L: Float64Array, qWeight: Uint32Array, wi: number): number {
  for (let j = 0; j < 4; j++) {
    const b = s + j * 8;
    qWeight[wi++] =
      q4Code(w[b] / scale, L) |
      (q4Code(w[b + 1] / scale, L) << 4) |
      (q4Code(w[b + 2] / scale, L) << 8) |
      (q4Code(w[b + 3] / scale, L) << 12) |
      (q4Code(w[b + 4] / scale, L) << 16) |
      (q4Code(w[b + 5] / scale, L) << 20) |
      (q4Code(w[b + 6] / scale, L) << 24) |
      (q4Code(w[b + 7] / scale, L) << 28);
  }
  return wi;
}

/** rint(x + 7), corrected by the exact fp16 boundaries (see fp16CodeThresholds). */
function q4Code(x: number, L: Float64Array): number {
  const c = (x + 7 + RINT_MAGIC - RINT_MAGIC) | 0;
  return x < L[c] ? c - 1 : x >= L[c + 1] ? c + 1 : c;
}

const thresholdCache = new Map<number, Float64Array>();

/**
 * For fp16 per-op rounding, code(x) = clamp(rint(f16(f16(x) + max_int)), 0, 2·max_int) is a monotone step
 * function of the exact quotient x, independent of the scale. L[c] is the smallest double x with code ≥ c
 * (found by walking every fp16 value and resolving the tie at the midpoint with RNE). Comparing the
 * double-rounded quotient against these 12-bit midpoints gives the exact answer: a quotient of two fp16
 * values is either exactly such a midpoint or far (≫ 2^-53 relative) from it.
 */
export function fp16CodeThresholds(maxInt: number): Float64Array {
  const hit = thresholdCache.get(maxInt);
  if (hit) return hit;
  const hi = 2 * maxInt;
  const code = (t: number): number => {
    let c = roundF16(roundF16(t) + maxInt) + RINT_MAGIC - RINT_MAGIC;
    c = c > 0 ? c : 0;
    return c < hi ? c : hi;
  };
  const L = new Float64Array(hi + 2).fill(Infinity);
  L[0] = -Infinity;
  // every fp16 value in [-(maxInt+2), maxInt+2], ascending
  const values: number[] = [];
  for (let h = 0; h < 0x7c00; h++) {
    const v = f16ToNumber(h);
    if (v > maxInt + 2) break;
    values.push(v);
    if (h) values.push(-v);
  }
  values.sort((a, b) => a - b);
  const f64 = new Float64Array(1);
  const u64 = new BigUint64Array(f64.buffer);
  for (let idx = 1; idx < values.length; idx++) {
    const p = values[idx - 1];
    const t = values[idx];
    const cp = code(p);
    const ct = code(t);
    for (let c = cp + 1; c <= ct; c++) {
      const mid = (p + t) / 2; // exact in double
      if (code(mid) >= c) L[c] = mid;
      else {
        f64[0] = mid; // next double above mid
        u64[0] = mid > 0 ? u64[0] + 1n : u64[0] - 1n;
        L[c] = mid === 0 ? Number.MIN_VALUE : f64[0];
      }
    }
  }
  thresholdCache.set(maxInt, L);
  return L;
}

function f16ToNumber(h: number): number {
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  return e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15);
}

/** Inverse of groupQuantize for `rows` NK rows: w = T((q − max_int) · scale), as the runtime computes it. */
export function groupDequantize(qWeight: Uint32Array, qScale: Float32Array, rows: number, k: number, q: GroupParams, out: Float32Array): void {
  const G = q.groupSize;
  const { groups: ng, words } = groupShape(k, q);
  const mask = (1 << q.bits) - 1;
  const round = q.modelDtype === 'float16' ? roundF16 : q.modelDtype === 'bfloat16' ? roundBf16 : Math.fround;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < k; c++) {
      const g = (c / G) | 0;
      const within = c - g * G;
      const word = qWeight[r * words + g * q.wordsPerGroup + ((within / q.elemsPerWord) | 0)];
      const code = (word >>> ((within % q.elemsPerWord) * q.bits)) & mask;
      out[r * k + c] = round((code - q.maxInt) * qScale[r * ng + g]);
    }
  }
}
