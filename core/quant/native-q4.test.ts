import * as path from 'node:path';
import { nativeQ4 } from './native-q4';
import { castBf16ToF16Bits, decodeToModel, encodeModel, groupQuantize } from './group-kernel';
import { getQuantization, GroupQuantization } from './registry';
import { readSafetensorsHeader } from '../hf/safetensors';
import { readTensorBytes } from '../hf/tensor-ref';
import { HF_TINY } from '../test-support/paths';

/**
 * The native bf16 → q4f16 kernel must be bit-identical to the TypeScript kernel (itself checked against an
 * independent reference quantizer in core/weights/convert.test.ts) on every value class.
 */
const native = nativeQ4();
const maybe = native ? describe : describe.skip;
if (!native) console.log('native quantizer tests skipped: no C compiler (cc) or koffi here; the TypeScript kernel runs instead');

function viaTypeScript(src: Uint16Array, rows: number, k: number, q: GroupQuantization) {
  const n = rows * k;
  const values = new Float32Array(n);
  const bad = decodeToModel(new Uint8Array(src.buffer, src.byteOffset, n * 2), 'BF16', n, 'float16', false, values);
  const qWeight = new Uint32Array((n / 32) * 4);
  const scales = new Float32Array(n / 32);
  groupQuantize(values, rows, k, q, qWeight, scales);
  const stored = new Uint16Array(scales.length);
  encodeModel(scales, scales.length, 'float16', stored);
  return { bad, qWeight, stored };
}

function viaNative(src: Uint16Array, rows: number, k: number) {
  const qWeight = new Uint32Array((rows * k / 32) * 4);
  const stored = new Uint16Array(rows * k / 32);
  const bad = native!.quantize(src, rows, k, qWeight, stored);
  return { bad, qWeight, stored };
}

/** bf16 patterns covering normal, tiny (fp16-subnormal and underflow), huge (fp16 overflow), zero groups and ties. */
function mixedBf16(n: number, seed = 7): Uint16Array {
  const out = new Uint16Array(n);
  let s = seed;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    const mag = r < 0.01 ? 7e4 : r < 0.02 ? 3e-7 : r < 0.03 ? 6e-5 : 0.1;
    f[0] = (rnd() - 0.5) * 2 * mag;
    out[i] = u[0] >>> 16;
  }
  out.fill(0, 0, 32); // an all-zero group
  out.fill(0x8000, 32, 64); // negative zeros
  out.fill(0x0001, 64, 96); // bf16 subnormals: the scale underflows to 0
  for (let i = 96; i < 128; i++) out[i] = 0x3f80 + (i % 8); // values near 1 with exact fp16 midpoints after scaling
  return out;
}

maybe('native bf16 → q4f16 kernel', () => {
  const q = getQuantization('q4f16_1') as GroupQuantization;

  test('bit-identical to the TypeScript kernel on mixed values, zero and underflowing groups', () => {
    const rows = 48;
    const k = 1024;
    const src = mixedBf16(rows * k);
    const ts = viaTypeScript(src, rows, k, q);
    const nat = viaNative(src, rows, k);
    expect(nat.bad).toBe(-1);
    expect(ts.bad).toBe(-1);
    expect(Buffer.from(nat.qWeight.buffer).equals(Buffer.from(ts.qWeight.buffer))).toBe(true);
    expect(Buffer.from(nat.stored.buffer).equals(Buffer.from(ts.stored.buffer))).toBe(true);
  });

  test('bit-identical on every bf16 weight matrix of the hf-tiny fixtures', () => {
    let checked = 0;
    for (const arch of ['llama', 'mistral', 'qwen2', 'qwen3', 'gemma2', 'phi3']) {
      for (const t of readSafetensorsHeader(path.join(HF_TINY, arch, 'model.safetensors')).tensors) {
        if (t.dtype !== 'BF16' || t.shape.length !== 2 || t.shape[1] % 32 !== 0) continue;
        const bytes = readTensorBytes(t);
        const src = new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
        const ts = viaTypeScript(src, t.shape[0], t.shape[1], q);
        const nat = viaNative(src, t.shape[0], t.shape[1]);
        expect([t.name, Buffer.from(nat.qWeight.buffer).equals(Buffer.from(ts.qWeight.buffer))]).toEqual([t.name, true]);
        expect(Buffer.from(nat.stored.buffer).equals(Buffer.from(ts.stored.buffer))).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  test('a NaN or Inf is reported at its index, like the TypeScript kernel', () => {
    const src = mixedBf16(64 * 32);
    src[777] = 0x7f80; // +inf
    src[900] = 0x7fc0; // NaN
    expect(viaNative(src, 64, 32).bad).toBe(777);
    expect(viaTypeScript(src, 64, 32, q).bad).toBe(777);
  });

  test('bf16 → fp16 cast: identical bits, first non-finite index', () => {
    const src = mixedBf16(4096);
    const a = new Uint16Array(src.length);
    const b = new Uint16Array(src.length);
    expect(native!.castBf16ToF16(src, src.length, a)).toBe(-1);
    expect(castBf16ToF16Bits(new Uint8Array(src.buffer), src.length, b)).toBe(-1);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    src[5] = 0xff80; // -inf
    expect(native!.castBf16ToF16(src, src.length, a)).toBe(5);
  });
});
