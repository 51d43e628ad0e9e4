import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCheckpoint } from './checkpoint';
import { readSafetensorsHeader, encodeSafetensors, writeSafetensors } from './safetensors';
import { readTensorF32, readTensorBytes } from './tensor-ref';
import { HF_TINY, copyToTemp, tempDir } from '../test-support/paths';
import { NxMlcError } from '../support/errors';

function expectNxError(fn: () => unknown, pattern: RegExp): NxMlcError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(NxMlcError);
  expect((err as Error).message).toMatch(pattern);
  return err as NxMlcError;
}

/** A safetensors header (JSON) + data, built by hand so that each defect is exactly the one under test. */
function rawSafetensors(header: object, dataBytes: number): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const out = Buffer.alloc(8 + json.length + dataBytes);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  return out;
}

describe('reading safetensors lazily', () => {
  test('every hf-tiny tensor decodes, with shapes and dtypes from the header', () => {
    for (const arch of ['llama', 'llama-tied', 'qwen3']) {
      const ck = openCheckpoint(path.join(HF_TINY, arch));
      expect(ck.weightFormat).toBe('safetensors');
      const embed = ck.tensor('model.embed_tokens.weight');
      expect(embed.shape).toEqual([512, 64]);
      expect(embed.dtype).toBe(arch === 'llama-tied' ? 'F16' : 'BF16');
      const v = readTensorF32(embed);
      expect(v.length).toBe(512 * 64);
      // weights ~ N(0, 0.08): finite, not all zero, plausible spread
      let s = 0;
      for (const x of v) s += x * x;
      expect(Math.sqrt(s / v.length)).toBeGreaterThan(0.02);
      expect(Math.sqrt(s / v.length)).toBeLessThan(0.3);
    }
  });

  test('bf16, f16, f32 and f8 decode to the exact values', () => {
    const dir = tempDir();
    const file = path.join(dir, 'model.safetensors');
    // bf16 0x3f80=1.0 0xc000=-2.0 0x3e80=0.25; f16 0x3c00=1 0xc000=-2 0x0001=2^-24; f32 1.5; e4m3 0x38=1.0 0xc0=-2.0; e5m2 0x3c=1.0
    const u16 = (xs: number[]) => new Uint8Array(new Uint16Array(xs).buffer);
    writeSafetensors(file, [
      { name: 'a', dtype: 'BF16', shape: [3], data: u16([0x3f80, 0xc000, 0x3e80]) },
      { name: 'b', dtype: 'F16', shape: [3], data: u16([0x3c00, 0xc000, 0x0001]) },
      { name: 'c', dtype: 'F32', shape: [1], data: new Uint8Array(new Float32Array([1.5]).buffer) },
      { name: 'd', dtype: 'F8_E4M3', shape: [2], data: new Uint8Array([0x38, 0xc0]) },
      { name: 'e', dtype: 'F8_E5M2', shape: [1], data: new Uint8Array([0x3c]) },
    ]);
    const h = readSafetensorsHeader(file);
    const get = (n: string) => Array.from(readTensorF32(h.tensors.find((t) => t.name === n)!));
    expect(get('a')).toEqual([1, -2, 0.25]);
    expect(get('b')).toEqual([1, -2, 2 ** -24]);
    expect(get('c')).toEqual([1.5]);
    expect(get('d')).toEqual([1, -2]);
    expect(get('e')).toEqual([1]);
    // the header is 8-byte aligned, as the reference writer pads it
    expect((h.dataStart - 8) % 8).toBe(0);
  });

  test('sharded checkpoints follow the index weight_map order and read from the right shard', () => {
    const src = openCheckpoint(path.join(HF_TINY, 'llama'));
    const dir = copyToTemp(path.join(HF_TINY, 'llama'));
    fs.rmSync(path.join(dir, 'model.safetensors'));
    const names = src.weightMap.map((w) => w.name);
    const half = Math.ceil(names.length / 2);
    const shards = [names.slice(0, half), names.slice(half)];
    const weightMap: Record<string, string> = {};
    shards.forEach((group, i) => {
      const fname = `model-0000${i + 1}-of-00002.safetensors`;
      writeSafetensors(path.join(dir, fname), group.map((n) => {
        const t = src.tensor(n);
        return { name: n, dtype: t.dtype, shape: t.shape, data: readTensorBytes(t) };
      }));
      for (const n of group) weightMap[n] = fname;
    });
    // HF writes index keys sorted
    const sorted = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : 1)));
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: sorted }));
    const ck = openCheckpoint(dir);
    expect(ck.weightMap.map((w) => w.name)).toEqual(Object.keys(sorted));
    expect(ck.weightFiles.length).toBe(2);
    for (const n of names) expect(readTensorBytes(ck.tensor(n))).toEqual(readTensorBytes(src.tensor(n)));
  });

  test('a lone model.safetensors is listed in file-offset order', () => {
    const ck = openCheckpoint(path.join(HF_TINY, 'qwen2'));
    const offsets = ck.weightMap.map((w) => ck.tensor(w.name).offset);
    expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);
  });
});

describe('bad checkpoints get errors that name the file and the fix', () => {
  function withWeights(buf: Buffer): string {
    const dir = copyToTemp(path.join(HF_TINY, 'llama'));
    fs.writeFileSync(path.join(dir, 'model.safetensors'), buf);
    return dir;
  }
  test('Git LFS pointer instead of weights', () => {
    const dir = withWeights(Buffer.from('version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146\nsize 164160\n'));
    const e = expectNxError(() => openCheckpoint(dir), /Git LFS pointer[\s\S]*git lfs pull/);
    expect(e.file).toBe(path.join(dir, 'model.safetensors'));
  });
  test('truncated file (data section shorter than the header says)', () => {
    const full = fs.readFileSync(path.join(HF_TINY, 'llama', 'model.safetensors'));
    const dir = withWeights(full.subarray(0, full.length - 100));
    expectNxError(() => openCheckpoint(dir), /beyond its end[\s\S]*truncated/);
  });
  test('header length larger than the file', () => {
    const b = Buffer.alloc(64);
    b.writeBigUInt64LE(1000n, 0);
    expectNxError(() => openCheckpoint(withWeights(b)), /Invalid safetensors header length 1000/);
  });
  test('file shorter than the 8-byte length', () => {
    expectNxError(() => openCheckpoint(withWeights(Buffer.from([1, 2, 3]))), /only 3 bytes/);
  });
  test('offsets that do not match the shape', () => {
    const buf = rawSafetensors({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, 16);
    expectNxError(() => openCheckpoint(withWeights(buf)), /occupies 12 bytes but F32\[2,2\] needs 16/);
  });
  test('overlapping tensors', () => {
    const buf = rawSafetensors({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } }, 24);
    expectNxError(() => openCheckpoint(withWeights(buf)), /"a" and "b" overlap/);
  });
  test('unsupported dtype names the tensor', () => {
    const buf = rawSafetensors({ w: { dtype: 'F4', shape: [2], data_offsets: [0, 1] } }, 1);
    const e = expectNxError(() => openCheckpoint(withWeights(buf)), /Tensor "w" has unsupported dtype "F4"/);
    expect(e.field).toBe('w.dtype');
  });
  test('an index naming shards that are missing', () => {
    const dir = copyToTemp(path.join(HF_TINY, 'llama'));
    fs.rmSync(path.join(dir, 'model.safetensors'));
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'model.norm.weight': 'model-00001-of-00002.safetensors' } }));
    expectNxError(() => openCheckpoint(dir), /names 1 weight file\(s\) that are not in[\s\S]*model-00001-of-00002/);
  });
  test('no weights at all', () => {
    const dir = copyToTemp(path.join(HF_TINY, 'llama'));
    fs.rmSync(path.join(dir, 'model.safetensors'));
    expectNxError(() => openCheckpoint(dir), /No weights found[\s\S]*model\.safetensors/);
  });
  test('weights under a non-standard name are pointed out', () => {
    const dir = copyToTemp(path.join(HF_TINY, 'llama'));
    fs.renameSync(path.join(dir, 'model.safetensors'), path.join(dir, 'weights.safetensors'));
    expectNxError(() => openCheckpoint(dir), /weights\.safetensors, which are not named as Hugging Face writes them/);
  });
  test('encodeSafetensors refuses a byte count that disagrees with the shape', () => {
    expect(() => encodeSafetensors([{ name: 'x', dtype: 'F32', shape: [3], data: new Uint8Array(8) }])).toThrow(/needs 12/);
  });
});

describe('PyTorch .bin checkpoints', () => {
  const TORCH = path.join(HF_TINY, '..', 'torch-bin');
  test('a .bin checkpoint reads the same tensors as its safetensors original', () => {
    const bin = openCheckpoint(path.join(TORCH, 'llama'));
    const st = openCheckpoint(path.join(HF_TINY, 'llama'));
    expect(bin.weightFormat).toBe('torch');
    expect(new Set(bin.weightMap.map((w) => w.name))).toEqual(new Set(st.weightMap.map((w) => w.name)));
    for (const { name } of st.weightMap) expect(readTensorBytes(bin.tensor(name))).toEqual(readTensorBytes(st.tensor(name)));
  });
  test('sharded .bin with pytorch_model.bin.index.json', () => {
    const dir = copyToTemp(path.join(TORCH, 'sharded'));
    fs.copyFileSync(path.join(HF_TINY, 'llama', 'config.json'), path.join(dir, 'config.json'));
    const ck = openCheckpoint(dir);
    expect(ck.indexFile).toMatch(/pytorch_model\.bin\.index\.json$/);
    expect(ck.weightFiles.length).toBe(2);
  });
  test('--source-format picks safetensors when both formats are present (auto prefers torch, as MLC does)', () => {
    const dir = copyToTemp(path.join(TORCH, 'llama'));
    fs.copyFileSync(path.join(HF_TINY, 'llama', 'model.safetensors'), path.join(dir, 'model.safetensors'));
    expect(openCheckpoint(dir).weightFormat).toBe('torch');
    expect(openCheckpoint(dir, 'huggingface-safetensor').weightFormat).toBe('safetensors');
  });
});
