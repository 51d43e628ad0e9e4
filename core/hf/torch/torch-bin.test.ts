import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NxMlcError } from '../../support/errors';
import { readSafetensorsHeader } from '../safetensors';
import { readTensorBytes, readTensorF32, TensorRef } from '../tensor-ref';
import { openTorchBin } from './index';
import { P, stateDictPickle, tensorPickle, writeTorchZip, ZipRecord } from './test-support/torch-zip';

const FIX = path.join(__dirname, '..', '..', '..', 'fixtures', 'torch-bin');
const SMALL = path.join(FIX, 'small', 'pytorch_model.bin');

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'torch-bin-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function byName(refs: TensorRef[]): Map<string, TensorRef> {
  return new Map(refs.map((r) => [r.name, r]));
}
function values(ref: TensorRef): number[] {
  return Array.from(readTensorF32(ref));
}

// Values written by fixtures/torch-bin/make_fixtures.py (make_small); every one is exactly representable
// in its dtype, so these literals are the exact expected decodes.
describe('single-file checkpoint with every feature (fixtures/torch-bin/small)', () => {
  const refs = openTorchBin(SMALL);
  const t = byName(refs);

  it('lists the state dict entries in pickle order with torch dtypes mapped to safetensors names', () => {
    expect(refs.map((r) => [r.name, r.dtype, r.shape])).toEqual([
      ['a.bf16', 'BF16', [3, 4]],
      ['b.f16', 'F16', [5]],
      ['c.f32', 'F32', [2, 3]],
      ['d.transposed', 'F32', [3, 2]],
      ['tied.embed.weight', 'F16', [4, 2]],
      ['tied.lm_head.weight', 'F16', [4, 2]],
      ['tied.rows23', 'F16', [2, 2]],
      ['e.i64', 'I64', [4]],
      ['f.bool', 'BOOL', [3]],
      ['g.f64', 'F64', [2]],
      ['h.i32', 'I32', [2]],
      ['i.param', 'F32', [2]],
      ['j.f8', 'F8_E4M3', [4]],
      ['k.scalar', 'F32', []],
    ]);
    for (const r of refs) expect(r.file).toBe(SMALL);
  });

  it('decodes bf16, f16 (incl. max, min normal, subnormal) and f32 exactly', () => {
    expect(values(t.get('a.bf16')!)).toEqual(Array.from({ length: 12 }, (_, i) => i * 0.25 - 1.5));
    expect(values(t.get('b.f16')!)).toEqual([0.5, -2, 65504, 2 ** -14, 2 ** -24]);
    expect(values(t.get('c.f32')!)).toEqual([1.1, -2.2, 3.3, 1e-30, 0, -0].map(Math.fround));
    expect(Object.is(values(t.get('c.f32')!)[5], -0)).toBe(true);
  });

  it('gathers a transposed view through its strides', () => {
    const d = t.get('d.transposed')!;
    expect(d.strides).toEqual([1, 3]);
    // storage [[0,1,2],[3,4,5]]; the view is its transpose
    expect(values(d)).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('points tensors that share a storage at the same bytes, and honours storage_offset', () => {
    const embed = t.get('tied.embed.weight')!;
    const head = t.get('tied.lm_head.weight')!;
    const rows = t.get('tied.rows23')!;
    expect(head.offset).toBe(embed.offset);
    expect(values(head)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(rows.offset).toBe(embed.offset + 4 * 2); // storage_offset 4 elements of 2 bytes
    expect(values(rows)).toEqual([5, 6, 7, 8]);
    expect(embed.strides).toBeUndefined();
  });

  it('reads integer, bool, f64, float8 and 0-d tensors and a Parameter', () => {
    const i64 = readTensorBytes(t.get('e.i64')!);
    expect([0, 1, 2, 3].map((i) => i64.readBigInt64LE(i * 8))).toEqual([0n, -1n, 2n ** 40n, 7n]);
    expect([...readTensorBytes(t.get('f.bool')!)]).toEqual([1, 0, 1]);
    const f64 = readTensorBytes(t.get('g.f64')!);
    expect([f64.readDoubleLE(0), f64.readDoubleLE(8)]).toEqual([0.1, -1e300]);
    expect(values(t.get('h.i32')!)).toEqual([-5, 123456]);
    expect(values(t.get('i.param')!)).toEqual([0.5, 0.25]);
    // e4m3fn bytes 0x38, 0xC0, 0x7E, 0x01 = 1, -2, 448 (max), 2^-9 (smallest subnormal)
    expect(values(t.get('j.f8')!)).toEqual([1, -2, 448, 2 ** -9]);
    const scalar = t.get('k.scalar')!;
    expect(scalar.byteLength).toBe(4);
    expect(values(scalar)).toEqual([42]);
  });
});

describe('a checkpoint written by torch.save itself (torch 2.11, fixtures/torch-bin/real-torch)', () => {
  it('reads every tensor with the values check_with_torch.py saved', () => {
    const file = path.join(FIX, 'real-torch', 'real-torch.bin');
    const refs = openTorchBin(file);
    expect(refs.map((r) => [r.name, r.dtype, r.shape, r.strides])).toEqual([
      ['a.bf16', 'BF16', [3, 4], undefined],
      ['d.transposed', 'F32', [3, 2], [1, 3]],
      ['tied.embed.weight', 'F16', [4, 2], undefined],
      ['tied.lm_head.weight', 'F16', [4, 2], undefined],
      ['tied.rows23', 'F16', [2, 2], undefined],
      ['j.f8', 'F8_E4M3', [4], undefined],
      ['i.param', 'F32', [2], undefined],
      ['u16', 'U16', [2], undefined],
    ]);
    const t = byName(refs);
    expect(values(t.get('a.bf16')!)).toEqual(Array.from({ length: 12 }, (_, i) => i * 0.25 - 1.5));
    expect(values(t.get('d.transposed')!)).toEqual([0, 3, 1, 4, 2, 5]);
    expect(t.get('tied.lm_head.weight')!.offset).toBe(t.get('tied.embed.weight')!.offset);
    expect(values(t.get('tied.rows23')!)).toEqual([5, 6, 7, 8]);
    expect(values(t.get('j.f8')!)).toEqual([1, -2, 448, 2 ** -9]);
    expect(values(t.get('i.param')!)).toEqual([0.5, 0.25]);
    expect(values(t.get('u16')!)).toEqual([1, 65535]);
  });
});

describe('pickle protocol 4, Python-attribute tensors, expanded and empty views (small/protocol4.bin)', () => {
  it('reads FRAME / STACK_GLOBAL / MEMOIZE pickles and _rebuild_from_type_v2', () => {
    const refs = openTorchBin(path.join(FIX, 'small', 'protocol4.bin'));
    expect(refs.map((r) => [r.name, r.dtype, r.shape, r.byteLength, r.strides])).toEqual([
      ['a.bf16', 'BF16', [2, 2], 8, undefined],
      ['tagged', 'F32', [2], 8, undefined],
      ['expanded', 'F16', [3, 2], 12, [0, 0]],
      ['empty', 'F32', [0, 4], 0, undefined],
    ]);
    const t = byName(refs);
    expect(values(t.get('a.bf16')!)).toEqual([1.5, -2.5, 3, 0.125]);
    expect(values(t.get('tagged')!)).toEqual([7, 8]);
    expect(values(t.get('expanded')!)).toEqual([3, 3, 3, 3, 3, 3]); // one stored element broadcast by stride 0
    expect(values(t.get('empty')!)).toEqual([]);
  });
});

describe('zip64', () => {
  it('reads the same checkpoint written with zip64 extra fields everywhere (archive/ prefix)', () => {
    const z = openTorchBin(path.join(FIX, 'small', 'zip64.bin'));
    const plain = openTorchBin(SMALL);
    expect(z.map((r) => [r.name, r.dtype, r.shape, r.strides])).toEqual(plain.map((r) => [r.name, r.dtype, r.shape, r.strides]));
    z.forEach((r, i) => expect(readTensorBytes(r).equals(readTensorBytes(plain[i]))).toBe(true));
  });

  it('locates a storage that starts beyond 4 GiB (sparse file)', () => {
    const file = path.join(tmp, 'big.bin');
    const big = 2 ** 32 + 64; // bytes of data/0, never written: a hole
    const small = Buffer.alloc(8);
    small.writeFloatLE(1.5, 0);
    small.writeFloatLE(-3, 4);
    const pkl = stateDictPickle([
      ['huge', tensorPickle({ storageClass: 'ByteStorage', key: '0', numel: big, size: [big], stride: [1] })],
      ['after', tensorPickle({ storageClass: 'FloatStorage', key: '1', numel: 2, size: [2], stride: [1] })],
    ]);
    writeTorchZip(file, 'archive', [
      { name: 'data.pkl', data: pkl },
      { name: 'data/0', size: big },
      { name: 'data/1', data: small },
    ]);
    const st = fs.statSync(file);
    if (st.blocks * 512 > 2 ** 30) {
      console.log('skipping the >4 GiB zip64 test: this filesystem does not keep sparse files sparse');
      fs.rmSync(file);
      return;
    }
    const refs = byName(openTorchBin(file));
    expect(refs.get('huge')!.byteLength).toBe(big);
    const after = refs.get('after')!;
    expect(after.offset).toBeGreaterThan(2 ** 32);
    expect(values(after)).toEqual([1.5, -3]);
    fs.rmSync(file);
  });
});

describe('sharded checkpoint with pytorch_model.bin.index.json', () => {
  it('every shard holds exactly the tensors the index assigns to it', () => {
    const dir = path.join(FIX, 'sharded');
    const index = JSON.parse(fs.readFileSync(path.join(dir, 'pytorch_model.bin.index.json'), 'utf8'));
    const seen: Record<string, string> = {};
    let total = 0;
    for (const shard of new Set(Object.values(index.weight_map) as string[])) {
      for (const r of openTorchBin(path.join(dir, shard))) {
        seen[r.name] = shard;
        total += r.byteLength;
      }
    }
    expect(seen).toEqual(index.weight_map);
    expect(total).toBe(index.metadata.total_size);
    const second = byName(openTorchBin(path.join(dir, 'pytorch_model-00002-of-00002.bin')));
    expect(values(second.get('lm_head.weight')!)).toEqual([-1, -2, -3, -4, -5, -6]);
    const first = byName(openTorchBin(path.join(dir, 'pytorch_model-00001-of-00002.bin')));
    expect(values(first.get('model.embed.weight')!)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(values(first.get('model.norm.weight')!)).toEqual([0.5, -0.5]);
  });
});

describe('torch conversion of fixtures/hf-tiny/llama', () => {
  it('decodes every tensor identically to the safetensors source', () => {
    const st = readSafetensorsHeader(path.join(FIX, '..', 'hf-tiny', 'llama', 'model.safetensors')).tensors;
    const bin = openTorchBin(path.join(FIX, 'llama', 'pytorch_model.bin'));
    expect(bin.map((r) => r.name)).toEqual(st.map((r) => r.name));
    bin.forEach((r, i) => {
      expect([r.dtype, r.shape, r.byteLength]).toEqual([st[i].dtype, st[i].shape, st[i].byteLength]);
      expect(readTensorBytes(r).equals(readTensorBytes(st[i]))).toBe(true);
    });
  });
});

describe('errors name the file and say what to do', () => {
  function expectError(file: string, pattern: RegExp): NxMlcError {
    let err: unknown;
    try {
      openTorchBin(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NxMlcError);
    const e = err as NxMlcError;
    expect(e.message).toMatch(pattern);
    expect(e.file).toBe(file);
    expect(e.fix).toBeTruthy();
    return e;
  }
  function put(name: string, data: Buffer | string): string {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, data);
    return f;
  }
  function zip(name: string, records: ZipRecord[]): string {
    const f = path.join(tmp, name);
    writeTorchZip(f, 'archive', records);
    return f;
  }
  const f32x2 = Buffer.from(new Float32Array([1, 2]).buffer);
  const goodTensor = tensorPickle({ storageClass: 'FloatStorage', key: '0', numel: 2, size: [2], stride: [1] });

  it('a path that does not exist, or is a directory', () => {
    expectError(path.join(tmp, 'nope.bin'), /does not exist/);
    expectError(tmp, /is a directory/);
  });

  it('a file that is not a zip', () => {
    expectError(put('notzip.bin', 'hello, this is not a checkpoint at all'), /not a zip archive/);
  });

  it('the legacy (pre-1.6) pickle format', () => {
    // torch's legacy files start with the pickled magic number 0x1950a86a20f9469cfc6c (LONG1)
    const legacy = Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
    const e = expectError(put('legacy.bin', legacy), /legacy \(pre-1\.6, non-zip\) format/);
    expect(e.fix).toMatch(/re-save/i);
  });

  it('a Git LFS pointer', () => {
    expectError(put('lfs.bin', 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n'), /Git LFS pointer/);
  });

  it('a truncated archive (no end record)', () => {
    const bytes = fs.readFileSync(SMALL);
    expectError(put('truncated.bin', bytes.subarray(0, Math.floor(bytes.length / 2))), /no end-of-central-directory record/);
  });

  it('a corrupt central directory', () => {
    const bytes = Buffer.from(fs.readFileSync(SMALL));
    const cdOffset = Number(bytes.readBigUInt64LE(bytes.length - 22 - 20 - 56 + 48)); // from the zip64 end record
    bytes.writeUInt32LE(0xdeadbeef, cdOffset);
    expectError(put('badcd.bin', bytes), /central directory record 0 of 18 is missing or has a bad signature/);
  });

  it('a central directory pointing past the end of the file', () => {
    const bytes = Buffer.from(fs.readFileSync(SMALL));
    bytes.writeBigUInt64LE(BigInt(bytes.length), bytes.length - 22 - 20 - 56 + 48);
    expectError(put('cdpast.bin', bytes), /lies outside/);
  });

  it('a missing storage record', () => {
    const f = zip('missing.bin', [{ name: 'data.pkl', data: stateDictPickle([['w', goodTensor]]) }]);
    const e = expectError(f, /Storage record archive\/data\/0 of tensor "w" is missing/);
    expect(e.field).toBe('w');
  });

  it('a compressed storage record', () => {
    const f = zip('deflated.bin', [
      { name: 'data.pkl', data: stateDictPickle([['w', goodTensor]]) },
      { name: 'data/0', data: f32x2, method: 8 },
    ]);
    expectError(f, /archive\/data\/0 is compressed \(zip method 8\)/);
  });

  it('a global outside the allowlist is refused, never executed', () => {
    const evil = Buffer.concat([P.global('os', 'system'), P.tupleOf(P.str('touch /tmp/pwned')), P.reduce()]);
    const f = zip('evil.bin', [{ name: 'data.pkl', data: stateDictPickle([['w', evil]]) }]);
    expectError(f, /references the Python global os\.system.*not executed/);
  });

  it('an opcode that builds arbitrary objects (INST)', () => {
    const inst = Buffer.concat([P.proto(), P.mark(), Buffer.from('ios\nsystem\n', 'latin1'), P.stop()]);
    const f = zip('inst.bin', [{ name: 'data.pkl', data: inst }]);
    expectError(f, /opcode 0x69/);
  });

  it('an unsupported storage dtype (quantized, complex)', () => {
    const q = tensorPickle({ storageClass: 'QInt8Storage', key: '0', numel: 2, size: [2], stride: [1] });
    const f = zip('qint.bin', [{ name: 'data.pkl', data: stateDictPickle([['q', q]]) }, { name: 'data/0', data: Buffer.alloc(2) }]);
    expect(expectError(f, /"q" has dtype torch\.QInt8Storage, which cannot be converted/).field).toBe('q');
    const c = tensorPickle({ storageClass: 'UntypedStorage', key: '0', numel: 16, size: [2], stride: [1], v3dtype: 'complex64' });
    const g = zip('complex.bin', [{ name: 'data.pkl', data: stateDictPickle([['c', c]]) }, { name: 'data/0', data: Buffer.alloc(16) }]);
    expectError(g, /"c" has dtype torch\.complex64/);
  });

  it('a storage class from an old GPU save (torch.cuda.HalfStorage) is read like torch.HalfStorage', () => {
    const h = tensorPickle({ storageModule: 'torch.cuda', storageClass: 'HalfStorage', key: '0', numel: 2, size: [2], stride: [1] });
    const f = zip('cuda.bin', [{ name: 'data.pkl', data: stateDictPickle([['h', h]]) }, { name: 'data/0', data: Buffer.from([0x00, 0x3c, 0x00, 0xc0]) }]);
    const [ref] = openTorchBin(f);
    expect([ref.dtype, values(ref)]).toEqual(['F16', [1, -2]]);
  });

  it('a state dict entry that is not a tensor', () => {
    const f = zip('epoch.bin', [{ name: 'data.pkl', data: stateDictPickle([['epoch', P.int(3)]]) }]);
    expect(expectError(f, /"epoch" is a number, not a tensor/).field).toBe('epoch');
  });

  it('a tensor that reaches past its storage', () => {
    const t = tensorPickle({ storageClass: 'FloatStorage', key: '0', numel: 2, offset: 1, size: [2], stride: [1] });
    const f = zip('overrun.bin', [{ name: 'data.pkl', data: stateDictPickle([['w', t]]) }, { name: 'data/0', data: f32x2 }]);
    expectError(f, /reaches byte 12 of a 8-byte storage/);
  });

  it('a storage record shorter than the pickle declares', () => {
    const t = tensorPickle({ storageClass: 'FloatStorage', key: '0', numel: 4, size: [2], stride: [1] });
    const f = zip('short.bin', [{ name: 'data.pkl', data: stateDictPickle([['w', t]]) }, { name: 'data/0', data: f32x2 }]);
    expectError(f, /has 8 bytes but the pickle declares 16/);
  });

  it('a truncated pickle', () => {
    const pkl = stateDictPickle([['w', goodTensor]]);
    const f = zip('shortpkl.bin', [{ name: 'data.pkl', data: pkl.subarray(0, pkl.length - 5) }, { name: 'data/0', data: f32x2 }]);
    expectError(f, /Cannot read the pickle/);
  });

  it('an archive without data.pkl (not a torch.save file)', () => {
    expectError(zip('nopkl.bin', [{ name: 'other.txt', data: Buffer.from('x') }]), /has no archive\/data\.pkl/);
  });

  it('data saved big-endian', () => {
    const f = zip('big-endian.bin', [
      { name: 'data.pkl', data: stateDictPickle([['w', goodTensor]]) },
      { name: 'byteorder', data: Buffer.from('big') },
      { name: 'data/0', data: f32x2 },
    ]);
    expectError(f, /big-endian/);
  });

  it('the hand-built archives are otherwise valid: the same records read fine', () => {
    const f = zip('good.bin', [
      { name: 'data.pkl', data: stateDictPickle([['w', goodTensor]]) },
      { name: 'byteorder', data: Buffer.from('little') },
      { name: 'data/0', data: f32x2 },
    ]);
    expect(openTorchBin(f).map((r) => [r.name, values(r)])).toEqual([['w', [1, 2]]]);
  });
});
