import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

/**
 * Test helpers: build torch.save-style archives and protocol-2 pickles by hand, so tests can make
 * well-formed and deliberately broken checkpoints in a temp dir. The zip layout follows miniz as torch
 * drives it (see fixtures/torch-bin/make_fixtures.py): 64-byte aligned data via an "FB" extra field,
 * data descriptors, zip64 extra fields past 4 GiB, and a zip64 end record always.
 */

export interface ZipRecord {
  name: string;
  /** Bytes to store. Omit and give `size` for a sparse record (a hole of zeros, never written). */
  data?: Buffer;
  size?: number;
  /** Compression method to claim (the data is still written as given). */
  method?: number;
}

const U32 = 0xffffffff;

export function writeTorchZip(file: string, archiveName: string, records: ZipRecord[]): void {
  const fd = fs.openSync(file, 'w');
  let pos = 0;
  const write = (b: Buffer): void => {
    fs.writeSync(fd, b, 0, b.length, pos);
    pos += b.length;
  };
  const central: Buffer[] = [];
  try {
    for (const r of records) {
      const name = Buffer.from(`${archiveName}/${r.name}`, 'utf8');
      const size = r.data ? r.data.length : r.size ?? 0;
      const ofs = pos;
      const bigSize = size >= U32;
      const bigOfs = ofs >= U32;
      const z64vals = [...(bigSize ? [size, size] : []), ...(bigOfs ? [ofs] : [])];
      const z64 = z64vals.length ? Buffer.concat([u16s(1, 8 * z64vals.length), ...z64vals.map(u64)]) : Buffer.alloc(0);
      const start = ofs + 30 + name.length + z64.length + 4;
      const pad = (64 - (start % 64)) % 64;
      const fb = Buffer.concat([Buffer.from('FB'), u16s(pad), Buffer.alloc(pad, 'Z')]);
      const extra = Buffer.concat([z64, fb]);
      const flags = 0x0800 | (size ? 8 : 0);
      const method = r.method ?? 0;
      const crc = r.data ? zlib.crc32(r.data) : 0;
      write(Buffer.concat([u32(0x04034b50), u16s(0, flags, method, 0, 0), u32(0), u32(0), u32(0), u16s(name.length, extra.length), name, extra]));
      if (r.data) write(r.data);
      else pos += size;
      if (size) write(z64vals.length ? Buffer.concat([u32(0x08074b50), u32(crc), u64(size), u64(size)]) : Buffer.concat([u32(0x08074b50), u32(crc), u32(size), u32(size)]));
      central.push(
        Buffer.concat([
          u32(0x02014b50), u16s(0, 0, flags, method, 0, 0), u32(crc),
          u32(bigSize ? U32 : size), u32(bigSize ? U32 : size),
          u16s(name.length, z64.length, 0, 0, 0), u32(0), u32(bigOfs ? U32 : ofs), name, z64,
        ]),
      );
    }
    const cd = Buffer.concat(central);
    const cdOfs = pos;
    write(cd);
    const z64At = pos;
    const n = records.length;
    write(Buffer.concat([u32(0x06064b50), u64(44), u16s(0x031e, 0x002d), u32(0), u32(0), u64(n), u64(n), u64(cd.length), u64(cdOfs)]));
    write(Buffer.concat([u32(0x07064b50), u32(0), u64(z64At), u32(1)]));
    write(Buffer.concat([u32(0x06054b50), u16s(0, 0, Math.min(n, 0xffff), Math.min(n, 0xffff)), u32(Math.min(cd.length, U32)), u32(Math.min(cdOfs, U32)), u16s(0)]));
  } finally {
    fs.closeSync(fd);
  }
}

function u16s(...v: number[]): Buffer {
  const b = Buffer.alloc(2 * v.length);
  v.forEach((x, i) => b.writeUInt16LE(x, 2 * i));
  return b;
}
function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}
function u64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
}

/** Protocol-2 pickle assembly, opcode by opcode (no memo: every object is written out in full). */
export const P = {
  proto: (): Buffer => Buffer.from([0x80, 0x02]),
  stop: (): Buffer => Buffer.from('.'),
  mark: (): Buffer => Buffer.from('('),
  tuple: (): Buffer => Buffer.from('t'),
  emptyTuple: (): Buffer => Buffer.from(')'),
  emptyDict: (): Buffer => Buffer.from('}'),
  setitems: (): Buffer => Buffer.from('u'),
  reduce: (): Buffer => Buffer.from('R'),
  binpersid: (): Buffer => Buffer.from('Q'),
  false: (): Buffer => Buffer.from([0x89]),
  global: (module: string, name: string): Buffer => Buffer.from(`c${module}\n${name}\n`, 'latin1'),
  str: (s: string): Buffer => {
    const body = Buffer.from(s, 'utf8');
    return Buffer.concat([Buffer.from('X'), u32(body.length), body]);
  },
  int: (n: number): Buffer => {
    if (n >= -(2 ** 31) && n < 2 ** 31) {
      const b = Buffer.alloc(5);
      b[0] = 0x4a; // BININT
      b.writeInt32LE(n, 1);
      return b;
    }
    // LONG1: little-endian two's complement, as pickle writes ints beyond 32 bits (non-negative here)
    const bytes: number[] = [];
    for (let v = BigInt(n); v > 0n; v >>= 8n) bytes.push(Number(v & 0xffn));
    if (bytes[bytes.length - 1] & 0x80) bytes.push(0);
    return Buffer.from([0x8a, bytes.length, ...bytes]);
  },
  tupleOf: (...items: Buffer[]): Buffer => Buffer.concat([P.mark(), ...items, P.tuple()]),
};

export interface TensorSpec {
  storageModule?: string;
  storageClass: string;
  key: string;
  numel: number;
  offset?: number;
  size: number[];
  stride: number[];
  /** For _rebuild_tensor_v3: the torch dtype name (storage must then be UntypedStorage). */
  v3dtype?: string;
}

export function tensorPickle(t: TensorSpec): Buffer {
  const pid = P.tupleOf(P.str('storage'), P.global(t.storageModule ?? 'torch', t.storageClass), P.str(t.key), P.str('cpu'), P.int(t.numel));
  const args = [
    Buffer.concat([pid, P.binpersid()]),
    P.int(t.offset ?? 0),
    P.tupleOf(...t.size.map(P.int)),
    P.tupleOf(...t.stride.map(P.int)),
    P.false(),
    Buffer.concat([P.global('collections', 'OrderedDict'), P.emptyTuple(), P.reduce()]),
    ...(t.v3dtype ? [P.global('torch', t.v3dtype)] : []),
  ];
  return Buffer.concat([P.global('torch._utils', t.v3dtype ? '_rebuild_tensor_v3' : '_rebuild_tensor_v2'), P.tupleOf(...args), P.reduce()]);
}

/** A pickled dict of name → already-pickled value. */
export function stateDictPickle(entries: [string, Buffer][]): Buffer {
  const items = entries.flatMap(([k, v]) => [P.str(k), v]);
  return Buffer.concat([P.proto(), P.emptyDict(), P.mark(), ...items, P.setitems(), P.stop()]);
}
