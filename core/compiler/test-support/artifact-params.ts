/**
 * TEST-ONLY: an MLC weight directory as a reference ParamSource (logical float32 tensors by `.weight`
 * name), dequantising group-quantised params with the spec's formula (mlc-format §5.3 step 6) written
 * out independently of the compiler's kernels.
 */
import * as fs from 'node:fs';
import type { LogicalParam, ParamSource } from '../../reference/param-source';
import { readTensorCache, type CacheRecord, type TensorCache } from '../../runtime/tensor-cache';
import { decodeRecordBytes } from '../../runtime/weights';
import { bf16ToF32, f16ToF32 } from '../../support/dtype';

function readRecord(rec: CacheRecord): Uint8Array {
  const fd = fs.openSync(rec.shardFile, 'r');
  try {
    const b = Buffer.alloc(rec.nbytes);
    fs.readSync(fd, b, 0, rec.nbytes, rec.byteOffset);
    return decodeRecordBytes(rec, b);
  } finally {
    fs.closeSync(fd);
  }
}

function toF32(rec: CacheRecord): Float32Array {
  const bytes = readRecord(rec);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = rec.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (rec.dtype === 'float32') out[i] = dv.getFloat32(4 * i, true);
    else if (rec.dtype === 'float16') out[i] = f16ToF32(dv.getUint16(2 * i, true));
    else if (rec.dtype === 'bfloat16') out[i] = bf16ToF32(dv.getUint16(2 * i, true));
    else throw new Error(`unexpected dtype ${rec.dtype} for ${rec.name}`);
  }
  return out;
}

export interface GroupLayout {
  bits: number;
  groupSize: number;
  /** KN layouts store q_weight [words, N] and q_scale [groups, N] (embeddings are never transposed). */
  transposed: boolean;
}

export class ArtifactParams implements ParamSource {
  readonly cache: TensorCache;
  constructor(dir: string, private readonly layout?: GroupLayout, private readonly kOf?: (base: string) => number) {
    this.cache = readTensorCache(dir);
  }

  has(name: string): boolean {
    return this.cache.records.has(name) || this.cache.records.has(name.replace(/\.weight$/, '.q_weight'));
  }

  get(name: string): LogicalParam {
    const plain = this.cache.records.get(name);
    if (plain) return { shape: plain.shape, data: toF32(plain) };
    const base = name.replace(/\.weight$/, '');
    const qw = this.cache.records.get(`${base}.q_weight`);
    const qs = this.cache.records.get(`${base}.q_scale`);
    if (!qw || !qs || !this.layout) throw new Error(`no param ${name}`);
    const { bits, groupSize } = this.layout;
    const perWord = Math.floor(32 / bits);
    const isEmbedding = /embed_tokens|\.embd$/.test(base);
    const kn = this.layout.transposed && !isEmbedding;
    const N = kn ? qw.shape[1] : qw.shape[0];
    const words = kn ? qw.shape[0] : qw.shape[1];
    const groups = kn ? qs.shape[0] : qs.shape[1];
    // K is not stored; it is the logical row length the model config implies (storage rounds up to groups).
    const K = this.kOf ? this.kOf(base) : Math.min(words * perWord, groups * groupSize);
    const wb = readRecord(qw);
    const wv = new DataView(wb.buffer, wb.byteOffset, wb.byteLength);
    const scale = toF32(qs);
    const out = new Float32Array(N * K);
    const maxq = 2 ** (bits - 1) - 1;
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        const j = Math.floor(k / perWord);
        const word = wv.getUint32(4 * (kn ? j * N + n : n * words + j), true);
        const q = (word >>> ((k % perWord) * bits)) & ((1 << bits) - 1);
        const g = Math.floor(k / groupSize);
        out[n * K + k] = (q - maxq) * scale[kn ? g * N + n : n * groups + g];
      }
    }
    return { shape: [N, K], data: out };
  }
}
