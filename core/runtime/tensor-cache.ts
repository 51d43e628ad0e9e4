import * as fs from 'node:fs';
import * as path from 'node:path';
import { NxMlcError } from '../support/errors';

/**
 * Reads an MLC weight directory's index (`tensor-cache.json`, or the older `ndarray-cache.json`;
 * spec mlc-format.md §4) into a by-name table of where each param's bytes are. Shard bytes are not read here.
 */

export interface CacheRecord {
  name: string;
  shape: number[];
  dtype: string;
  /** Encoding of the stored bytes: "f32-to-bf16" (float32 records stored as bf16) or "raw". */
  format: string;
  nbytes: number;
  byteOffset: number;
  shardFile: string;
}

export interface TensorCache {
  file: string;
  records: Map<string, CacheRecord>;
  shards: { file: string; nbytes: number }[];
}

/** Storage bytes per element of TVM dtype names as they appear in tensor-cache.json. */
export const TVM_DTYPE_BYTES: Record<string, number> = {
  float32: 4, float16: 2, bfloat16: 2, uint32: 4, int32: 4, int8: 1, uint8: 1, int64: 8,
  float8_e4m3fn: 1, float8_e5m2: 1,
};

export const TENSOR_CACHE_NAMES = ['tensor-cache.json', 'ndarray-cache.json'];

export function findTensorCache(modelDir: string): string {
  for (const name of TENSOR_CACHE_NAMES) {
    const f = path.join(modelDir, name);
    if (fs.existsSync(f)) return f;
  }
  throw new NxMlcError('The model directory has no tensor-cache.json (nor ndarray-cache.json)', {
    file: path.join(modelDir, 'tensor-cache.json'),
    fix: 'Run `nx-mlc convert-weight <hf-dir> --quantization <q> -o <dir>` into this directory first.',
  });
}

/** Bytes a record occupies on disk, from its shape, dtype and format. */
export function storedBytes(rec: Pick<CacheRecord, 'shape' | 'dtype' | 'format'>): number {
  const n = rec.shape.reduce((a, b) => a * b, 1);
  const item = rec.dtype === 'float32' && rec.format === 'f32-to-bf16' ? 2 : TVM_DTYPE_BYTES[rec.dtype];
  return n * item;
}

export function readTensorCache(modelDir: string): TensorCache {
  const file = findTensorCache(modelDir);
  const bad = (what: string, field?: string): NxMlcError =>
    new NxMlcError(`tensor-cache.json is malformed: ${what}`, { file, field, fix: 'Re-run `nx-mlc convert-weight` for this directory.' });
  let json: { records?: unknown };
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw bad('not valid JSON');
  }
  if (!Array.isArray(json.records)) throw bad('no "records" list', 'records');
  const records = new Map<string, CacheRecord>();
  const shards: TensorCache['shards'] = [];
  json.records.forEach((shard: Record<string, unknown>, i: number) => {
    const where = `records[${i}]`;
    if (typeof shard.dataPath !== 'string' || !Array.isArray(shard.records)) throw bad('a shard lacks dataPath or records', where);
    if (shard.format !== 'raw-shard') throw bad(`shard format is ${JSON.stringify(shard.format)}, expected "raw-shard"`, `${where}.format`);
    const shardFile = path.join(path.dirname(file), shard.dataPath);
    shards.push({ file: shardFile, nbytes: Number(shard.nbytes) });
    shard.records.forEach((r: Record<string, unknown>, j: number) => {
      const rw = `${where}.records[${j}]`;
      if (typeof r.name !== 'string' || !Array.isArray(r.shape) || typeof r.dtype !== 'string') throw bad('a record lacks name, shape or dtype', rw);
      if (!(r.dtype in TVM_DTYPE_BYTES)) throw bad(`unknown dtype ${JSON.stringify(r.dtype)}`, `${rw}.dtype`);
      const rec: CacheRecord = {
        name: r.name,
        shape: (r.shape as unknown[]).map(Number),
        dtype: r.dtype,
        format: typeof r.format === 'string' ? r.format : 'raw',
        nbytes: Number(r.nbytes),
        byteOffset: Number(r.byteOffset),
        shardFile,
      };
      if (rec.nbytes !== storedBytes(rec)) throw bad(`${rec.name}: nbytes ${rec.nbytes} does not match shape ${JSON.stringify(rec.shape)} of ${rec.dtype}`, `${rw}.nbytes`);
      if (records.has(rec.name)) throw bad(`param ${rec.name} appears twice`, `${rw}.name`);
      records.set(rec.name, rec);
    });
  });
  return { file, records, shards };
}

/** Every shard exists with the byte length the index claims (as MLC's C++ loader checks; md5 is not checked). */
export function checkShards(cache: TensorCache): void {
  for (const s of cache.shards) {
    if (!fs.existsSync(s.file)) {
      throw new NxMlcError('A weight shard listed in tensor-cache.json is missing', {
        file: s.file,
        fix: 'Copy every params_shard_*.bin with tensor-cache.json, or re-run `nx-mlc convert-weight`.',
      });
    }
    const size = fs.statSync(s.file).size;
    if (size !== s.nbytes) {
      throw new NxMlcError(`A weight shard has ${size} bytes but tensor-cache.json says ${s.nbytes}`, {
        file: s.file,
        fix: 'The shard is truncated or stale; re-run `nx-mlc convert-weight` (or fetch the weights again).',
      });
    }
  }
}
