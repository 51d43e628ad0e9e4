import * as fs from 'node:fs';
import * as path from 'node:path';
import { NxMlcError } from '../support/errors';
import { TensorCache } from './tensor-cache-json';

/** Read and structurally check `tensor-cache.json` (or the older `ndarray-cache.json`) of an MLC weight directory. */
export function readTensorCacheJson(dir: string): { file: string; cache: TensorCache } {
  const file = ['tensor-cache.json', 'ndarray-cache.json'].map((n) => path.join(dir, n)).find((f) => fs.existsSync(f));
  if (!file) {
    throw new NxMlcError(`No tensor-cache.json in ${dir}`, { file: path.join(dir, 'tensor-cache.json'), fix: 'Run `nx-mlc convert-weight` into this directory first.' });
  }
  let cache: TensorCache;
  try {
    cache = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new NxMlcError(`${path.basename(file)} is not valid JSON: ${(e as Error).message}`, { file, fix: 'Re-run `nx-mlc convert-weight` for this directory.' });
  }
  if (!cache || !Array.isArray(cache.records) || typeof cache.metadata !== 'object') {
    throw new NxMlcError(`${path.basename(file)} lacks "metadata" or "records"`, { file, field: 'records', fix: 'Re-run `nx-mlc convert-weight` for this directory.' });
  }
  return { file, cache };
}

/** Bytes per stored element for TVM dtype names (float32 with f32-to-bf16 is handled by the caller). */
export const TVM_ITEM_BYTES: Record<string, number> = {
  float32: 4, float16: 2, bfloat16: 2, uint32: 4, int32: 4, int8: 1, uint8: 1, float8_e4m3fn: 1, float8_e5m2: 1,
};

export function storedNbytes(shape: number[], dtype: string, format: string): number {
  const n = shape.reduce((a, b) => a * b, 1);
  return n * (dtype === 'float32' && format === 'f32-to-bf16' ? 2 : TVM_ITEM_BYTES[dtype] ?? NaN);
}
