import { f32ToBf16, f32ToF16 } from '../support/dtype';
import { refQuantizeRow, refStore16, refToModel, RefModelDtype } from '../weights/test-support/reference-quant';
import { decodeToModel, encodeModel, FloatSourceDtype, groupDequantize, groupQuantize, groupShape } from './group-kernel';
import { getQuantization, GroupQuantization, QUANTIZATION_NAMES } from './registry';

/** Deterministic pseudo-random numbers (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Source bytes of `values` in a checkpoint dtype, plus the values as that dtype holds them. */
function encodeSource(values: number[], dtype: FloatSourceDtype): { bytes: Uint8Array; held: number[] } {
  const buf = Buffer.alloc(values.length * (dtype === 'F32' ? 4 : 2));
  const held = values.map((v, i) => {
    if (dtype === 'F32') {
      buf.writeFloatLE(v, i * 4);
      return buf.readFloatLE(i * 4);
    }
    const bits = dtype === 'F16' ? f32ToF16(v) : f32ToBf16(v);
    buf.writeUInt16LE(bits, i * 2);
    return refToModel(v, dtype === 'F16' ? 'float16' : 'bfloat16');
  });
  const aligned = new Uint8Array(new ArrayBuffer(buf.length));
  aligned.set(buf);
  return { bytes: aligned, held };
}

/** Random weights with the hazards of real checkpoints: all-zero groups, exact zeros, a wide dynamic range. */
function weights(rows: number, k: number, seed: number, zeroGroupSize: number): number[] {
  const r = rng(seed);
  const out: number[] = [];
  for (let i = 0; i < rows * k; i++) {
    const col = i % k;
    const row = Math.floor(i / k);
    if (row % 3 === 1 && col < zeroGroupSize) out.push(0); // an all-zero first group on every third row
    else if (r() < 0.05) out.push(0);
    else out.push((r() - 0.5) * 0.2 * 2 ** Math.floor(r() * 6 - 3));
  }
  return out;
}

const GROUP_SCHEMES = QUANTIZATION_NAMES.map(getQuantization).filter((q): q is GroupQuantization => q.kind === 'group-quant');

describe('group quantization matches the spec reference bit for bit', () => {
  const cases: [FloatSourceDtype, number, number][] = [
    ['BF16', 24, 128], // K a multiple of both group sizes
    ['F16', 17, 37], // K not a multiple of the group size (partial last group)
    ['F32', 9, 100],
  ];
  for (const q of GROUP_SCHEMES) {
    for (const [srcDtype, rows, k] of cases) {
      test(`${q.name} from ${srcDtype}, [${rows}, ${k}]`, () => {
        const raw = weights(rows, k, rows * 1000 + k, q.groupSize);
        const { bytes, held } = encodeSource(raw, srcDtype);
        const values = new Float32Array(rows * k);
        expect(decodeToModel(bytes, srcDtype, rows * k, q.modelDtype, false, values)).toBe(-1);
        const { groups, words } = groupShape(k, q);
        const qWeight = new Uint32Array(rows * words);
        const scales = new Float32Array(rows * groups);
        groupQuantize(values, rows, k, q, qWeight, scales);
        const stored = new Uint16Array(scales.length);
        encodeModel(scales, scales.length, q.modelDtype, stored);

        const expWords: number[] = [];
        const expScales: number[] = [];
        for (let r = 0; r < rows; r++) {
          const row = held.slice(r * k, r * k + k).map((v) => refToModel(v, q.modelDtype));
          const ref = refQuantizeRow(row, q);
          expWords.push(...ref.words);
          expScales.push(...ref.scales.map((s) => refStore16(s, q.modelDtype)));
        }
        expect(Array.from(qWeight)).toEqual(expWords);
        expect(Array.from(stored)).toEqual(expScales);
        // all-zero groups quantize to code 0 with scale 0 (row 1 starts with a zero group)
        expect(scales[groups]).toBe(0);
        expect(qWeight[words]).toBe(0);
      });
    }
  }

  test('every fp16 quotient near a rounding boundary gets the per-op fp16 code (ties to even)', () => {
    // Many weights per group share the scale of the group's max; sweep all fp16 weights in [-maxabs, maxabs].
    const q = getQuantization('q4f16_1') as GroupQuantization;
    for (const maxabs of [1, 0.0123, 3.5, 7e-5]) {
      const m16 = refToModel(maxabs, 'float16');
      const lanes: number[] = [];
      for (let h = 0; h < 0x7c00; h += 3) {
        const v = refToModel(new Float32Array(new Uint32Array([0]).buffer)[0] + fp16(h), 'float16');
        if (v <= m16) lanes.push(v, -v);
      }
      // groups of 31 sweep values + the max, so every group has the same scale
      const rowVals: number[] = [];
      for (let i = 0; i < lanes.length; i += 31) rowVals.push(m16, ...lanes.slice(i, i + 31), ...Array(Math.max(0, 31 - lanes.slice(i, i + 31).length)).fill(0));
      const k = rowVals.length;
      const values = Float32Array.from(rowVals);
      const { groups, words } = groupShape(k, q);
      const qWeight = new Uint32Array(words);
      groupQuantize(values, 1, k, q, qWeight, new Float32Array(groups));
      expect(Array.from(qWeight)).toEqual(refQuantizeRow(rowVals, q).words);
    }
  });

  test('dequantize inverts the packing: w = T((q - max_int) * scale)', () => {
    const q = getQuantization('q3f16_1') as GroupQuantization;
    const k = 45;
    const raw = weights(2, k, 7, 0).map((v) => refToModel(v, 'float16'));
    const { groups, words } = groupShape(k, q);
    const qWeight = new Uint32Array(2 * words);
    const scales = new Float32Array(2 * groups);
    groupQuantize(Float32Array.from(raw), 2, k, q, qWeight, scales);
    const out = new Float32Array(2 * k);
    groupDequantize(qWeight, scales, 2, k, q, out);
    for (let i = 0; i < 2 * k; i++) {
      const g = Math.floor((i % k) / q.groupSize) + Math.floor(i / k) * groups;
      const lane = (i % k) % q.groupSize;
      const word = qWeight[Math.floor(i / k) * words + Math.floor((i % k) / q.groupSize) * q.wordsPerGroup + Math.floor(lane / 10)];
      const code = Math.floor(word / 2 ** ((lane % 10) * 3)) % 8;
      expect(out[i]).toBe(refToModel((code - 3) * scales[g], 'float16'));
      // quantization error is at most half a step (plus fp16 rounding)
      expect(Math.abs(out[i] - raw[i])).toBeLessThanOrEqual(scales[g] * 0.5 + 1e-3);
    }
  });
});

function fp16(h: number): number {
  const e = (h >> 10) & 31;
  const m = h & 1023;
  return e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15);
}

describe('casting to the model dtype', () => {
  const cases: [FloatSourceDtype, RefModelDtype][] = [
    ['BF16', 'float16'], ['BF16', 'bfloat16'], ['BF16', 'float32'],
    ['F16', 'float16'], ['F16', 'bfloat16'], ['F16', 'float32'],
    ['F32', 'float16'], ['F32', 'bfloat16'], ['F32', 'float32'],
  ];
  for (const [src, model] of cases) {
    test(`${src} → ${model} stored bytes (incl. overflow, subnormals, f32-to-bf16)`, () => {
      const raw = [...weights(1, 300, 3, 0), 1e-7, -3e-6, 70000, 65519, 65520, 3.3e38, -3.4e38, 1.00048828125, 0];
      const { bytes, held } = encodeSource(raw, src);
      const values = new Float32Array(raw.length);
      decodeToModel(bytes, src, raw.length, model, false, values);
      const out = new Uint16Array(raw.length);
      encodeModel(values, raw.length, model, out);
      expect(Array.from(out)).toEqual(held.map((v) => refStore16(refToModel(v, model), model)));
    });
  }

  test('gemma +1 is computed in the source dtype before the cast (double rounding for bf16 → f16)', () => {
    const raw = [0.00390625 * 1.5, -0.5, 0.123, 2.5e-3, 1e-5];
    for (const src of ['BF16', 'F16', 'F32'] as FloatSourceDtype[]) {
      const { bytes, held } = encodeSource(raw, src);
      const values = new Float32Array(raw.length);
      decodeToModel(bytes, src, raw.length, 'float16', src, values);
      const srcT: RefModelDtype = src === 'BF16' ? 'bfloat16' : src === 'F16' ? 'float16' : 'float32';
      expect(Array.from(values)).toEqual(held.map((v) => refToModel(refToModel(v + 1, srcT), 'float16')));
    }
    // the double rounding is observable: bf16(1 + 1.5·2^-8) = 1.0078125 (tie to even), not fp16(1.005859375)
    const { bytes } = encodeSource([0.00390625 * 1.5], 'BF16');
    const v = new Float32Array(1);
    decodeToModel(bytes, 'BF16', 1, 'float16', 'BF16', v);
    expect(v[0]).toBe(1.0078125);
  });

  test('reports the first NaN/Inf element', () => {
    const { bytes } = encodeSource([0.5, 1, NaN, Infinity], 'BF16');
    expect(decodeToModel(bytes, 'BF16', 4, 'float16', false, new Float32Array(4))).toBe(2);
    const { bytes: b2 } = encodeSource([0.5, -Infinity], 'F32');
    expect(decodeToModel(b2, 'F32', 2, 'float16', false, new Float32Array(2))).toBe(1);
  });
});

describe('the fused bf16 → fp16 cast', () => {
  test('equals the spec rounding for every bf16 bit pattern', () => {
    const { castBf16ToF16Bits } = require('./group-kernel') as typeof import('./group-kernel');
    const src = new Uint8Array(new ArrayBuffer(65536 * 2));
    const s16 = new Uint16Array(src.buffer);
    for (let h = 0; h < 65536; h++) s16[h] = h;
    const out = new Uint16Array(65536);
    const bad = castBf16ToF16Bits(src, 65536, out);
    expect(bad).toBe(0x7f80); // +inf is the first non-finite pattern
    for (let h = 0; h < 65536; h++) {
      const e = (h >>> 7) & 0xff;
      if (e === 0xff) continue; // inf/NaN are rejected before they matter
      const v = new Float32Array(new Uint32Array([h << 16]).buffer)[0];
      if (out[h] !== refStore16(refToModel(v, 'float16'), 'float16')) throw new Error(`bf16 0x${h.toString(16)}: got 0x${out[h].toString(16)}`);
    }
  });
});
