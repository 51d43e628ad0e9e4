import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16, roundHalfEven, roundToBf16, roundToF16 } from '../../support/dtype';

/**
 * A deliberately plain re-statement of spec mlc-format.md §4.4 and §5.3, one scalar at a time, for tests.
 * It shares no code with core/quant (only the scalar conversions of core/support/dtype), so a test comparing
 * the production bytes with these catches a mistake in either.
 */

export type RefModelDtype = 'float16' | 'bfloat16' | 'float32';

export interface RefScheme {
  groupSize: number;
  bits: number;
  maxInt: number;
  modelDtype: RefModelDtype;
}

/** numpy astype(model dtype) of a float32 value. */
export function refToModel(x: number, t: RefModelDtype): number {
  if (t === 'float16') return roundToF16(x);
  if (t === 'bfloat16') return roundToBf16(x);
  return Math.fround(x);
}

/** The stored 16 bits of a model-dtype value (float32 through TVM's f32-to-bf16 rule, spec §4.4). */
export function refStore16(x: number, t: RefModelDtype): number {
  if (t === 'float16') return f32ToF16(x);
  if (t === 'bfloat16') return f32ToBf16(x);
  const u = new Uint32Array(new Float32Array([x]).buffer)[0];
  const L = 3.3895314e38;
  if (-L < x && x < L) return Math.floor((u + 0x7fff + (Math.floor(u / 65536) % 2)) / 65536) % 65536;
  return Math.floor(u / 65536);
}

export function refLoad16(bits: number, t: RefModelDtype): number {
  return t === 'float16' ? f16ToF32(bits) : bf16ToF32(bits);
}

/** Quantize one row (values already in the model dtype): packed words and scale values. */
export function refQuantizeRow(row: number[], s: RefScheme): { words: number[]; scales: number[] } {
  const perWord = Math.floor(32 / s.bits);
  const wordsPerGroup = s.groupSize / perWord;
  const groups = Math.ceil(row.length / s.groupSize);
  const words: number[] = [];
  const scales: number[] = [];
  for (let g = 0; g < groups; g++) {
    const lanes = row.slice(g * s.groupSize, Math.min(row.length, (g + 1) * s.groupSize));
    const maxabs = Math.max(0, ...lanes.map(Math.abs));
    const scale = refToModel(maxabs / s.maxInt, s.modelDtype);
    scales.push(scale);
    const codes = lanes.map((w) => {
      // fp16: each op rounded to fp16; bf16/f32: float32 intermediates (spec §5.3 caveat)
      const v = s.modelDtype === 'float16' ? roundToF16(roundToF16(w / scale) + s.maxInt) : Math.fround(Math.fround(w / scale) + s.maxInt);
      const r = Number.isFinite(v) ? roundHalfEven(v) : v;
      const lo = r > 0 ? r : 0; // TVM max(a, b) = select(a > b, a, b): NaN → 0
      return lo < 2 * s.maxInt ? lo : 2 * s.maxInt;
    });
    for (let j = 0; j < wordsPerGroup; j++) {
      let word = 0;
      for (let e = 0; e < perWord; e++) {
        const idx = j * perWord + e;
        if (idx < codes.length) word += codes[idx] * 2 ** (e * s.bits);
      }
      words.push(word);
    }
  }
  return { words, scales };
}

/** Little-endian bytes of uint32 words / 16-bit patterns. */
export function u32Bytes(words: number[]): Buffer {
  const b = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => b.writeUInt32LE(w, i * 4));
  return b;
}

export function u16Bytes(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeUInt16LE(v, i * 2));
  return b;
}
