import * as fs from 'node:fs';
import { NxMlcError } from '../support/errors';
import type { ModelInstance, ParamSpec } from './library';
import type { CacheRecord, TensorCache } from './tensor-cache';

/**
 * Hands the params a library needs to an instance, BY NAME, from an MLC weight directory. Shards are
 * visited one at a time with positioned reads of just the needed records, so a multi-GB model never sits
 * in memory twice: each param's bytes live only until the library has copied them.
 */

/** Decode stored bytes to what nxmlc_set_param expects: float32 records stored as bf16 expand to float32. */
export function decodeRecordBytes(rec: Pick<CacheRecord, 'dtype' | 'format'>, stored: Buffer): Uint8Array {
  if (rec.dtype !== 'float32' || rec.format !== 'f32-to-bf16') return stored;
  const n = stored.length / 2;
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = stored.readUInt16LE(2 * i) << 16;
  return new Uint8Array(out.buffer);
}

function readAt(fd: number, file: string, offset: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, offset + done);
    if (n === 0) {
      throw new NxMlcError(`Weight shard ends before ${offset + length} bytes`, { file, fix: 'The shard is truncated; re-run `nx-mlc convert-weight`.' });
    }
    done += n;
  }
  return buf;
}

export interface LoadWeightsResult {
  params: number;
  bytes: number;
}

/** Load every param in `params` (the library's metadata list) into the instance, then finalize it. */
export function loadWeights(instance: ModelInstance, cache: TensorCache, params: readonly ParamSpec[]): LoadWeightsResult {
  const byShard = new Map<string, { spec: ParamSpec; rec: CacheRecord }[]>();
  for (const spec of params) {
    const rec = cache.records.get(spec.name);
    if (!rec) {
      throw new NxMlcError(`The weights lack the param ${spec.name} that the library needs`, {
        file: cache.file,
        fix: 'Convert the weights and compile the library from the same mlc-chat-config.json (same model and quantization).',
      });
    }
    const list = byShard.get(rec.shardFile) ?? [];
    list.push({ spec, rec });
    byShard.set(rec.shardFile, list);
  }
  let bytes = 0;
  for (const [shardFile, items] of byShard) {
    items.sort((a, b) => a.rec.byteOffset - b.rec.byteOffset); // read forward through the file
    const fd = fs.openSync(shardFile, 'r');
    try {
      for (const { spec, rec } of items) {
        const data = decodeRecordBytes(rec, readAt(fd, shardFile, rec.byteOffset, rec.nbytes));
        instance.setParam(spec.name, spec.dtype, spec.shape, data);
        bytes += rec.nbytes;
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  instance.finalize();
  return { params: params.length, bytes };
}
