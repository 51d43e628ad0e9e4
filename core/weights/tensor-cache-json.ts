import { pyFloatRepr } from '../support/pyjson';

/** One tensor inside a shard, exactly as TVM's `dump_tensor_cache` records it (key order matters). */
export interface TensorRecord {
  name: string;
  shape: number[];
  dtype: string;
  format: 'f32-to-bf16';
  nbytes: number;
  byteOffset: number;
}

export interface ShardRecord {
  dataPath: string;
  format: 'raw-shard';
  nbytes: number;
  records: TensorRecord[];
  md5sum: string;
}

export interface TensorCache {
  metadata: { ParamSize: number; ParamBytes: number; BitsPerParam: number };
  records: ShardRecord[];
}

/**
 * Serialise as Python's `json.dump(obj, f, indent=4)` does: JSON.stringify's indented layout is the same,
 * so only floats (Python repr, always with a fraction) and non-ASCII escaping (ensure_ascii) differ.
 * No trailing newline.
 */
export function formatTensorCache(cache: TensorCache): string {
  const floats: number[] = [];
  const placeholder = (x: number) => `\u0000F${floats.push(x) - 1}\u0000`;
  const obj = {
    metadata: {
      ParamSize: cache.metadata.ParamSize,
      ParamBytes: placeholder(cache.metadata.ParamBytes),
      BitsPerParam: placeholder(cache.metadata.BitsPerParam),
    },
    records: cache.records,
  };
  let text = JSON.stringify(obj, null, 4);
  text = text.replace(/"\\u0000F(\d+)\\u0000"/g, (_, i) => pyFloatRepr(floats[Number(i)]));
  return text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `tensor-cache-b16.json`: the same dump with float32 records declared as raw bfloat16 (spec §4.2). */
export function toB16Variant(cache: TensorCache): TensorCache {
  return {
    metadata: cache.metadata,
    records: cache.records.map((s) => ({
      ...s,
      records: s.records.map((r) => (r.dtype === 'float32' ? ({ ...r, dtype: 'bfloat16', format: 'raw' } as unknown as TensorRecord) : r)),
    })),
  };
}
