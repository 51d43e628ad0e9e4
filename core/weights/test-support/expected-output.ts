import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSafetensorsHeader } from '../../hf/safetensors';
import { readTensorF32, TensorRef } from '../../hf/tensor-ref';
import { buildWeightMapping } from '../../arch/mappings/registry';
import { refQuantizeRow, RefModelDtype, refStore16, refToModel, u16Bytes, u32Bytes } from './reference-quant';

/**
 * Expected bytes of every MLC tensor for a safetensors checkpoint, computed from the spec with the scalar
 * reference quantizer. Only the mapping's list of (MLC name ← HF sources) is shared with production code;
 * which tensors get quantized, layouts, casts and arithmetic are re-stated here from spec §5.1–§5.3.
 */

export interface RefScheme {
  name: string;
  model: RefModelDtype;
  group?: { groupSize: number; bits: number; maxInt: number; kn: boolean; embedAndHead: boolean };
}

/** Spec §5.1, written out again for the tests. */
export const REF_SCHEMES: RefScheme[] = [
  { name: 'q0f16', model: 'float16' },
  { name: 'q0bf16', model: 'bfloat16' },
  { name: 'q0f32', model: 'float32' },
  { name: 'q3f16_0', model: 'float16', group: { groupSize: 40, bits: 3, maxInt: 3, kn: true, embedAndHead: true } },
  { name: 'q3f16_1', model: 'float16', group: { groupSize: 40, bits: 3, maxInt: 3, kn: false, embedAndHead: true } },
  { name: 'q4f16_0', model: 'float16', group: { groupSize: 32, bits: 4, maxInt: 7, kn: true, embedAndHead: true } },
  { name: 'q4f16_1', model: 'float16', group: { groupSize: 32, bits: 4, maxInt: 7, kn: false, embedAndHead: true } },
  { name: 'q4bf16_0', model: 'bfloat16', group: { groupSize: 32, bits: 4, maxInt: 7, kn: true, embedAndHead: true } },
  { name: 'q4bf16_1', model: 'bfloat16', group: { groupSize: 32, bits: 4, maxInt: 7, kn: false, embedAndHead: true } },
  { name: 'q4f32_1', model: 'float32', group: { groupSize: 32, bits: 4, maxInt: 7, kn: false, embedAndHead: true } },
  { name: 'q4f16_2', model: 'float16', group: { groupSize: 32, bits: 4, maxInt: 7, kn: false, embedAndHead: false } },
];

export interface ExpectedTensor {
  shape: number[];
  dtype: string;
  bytes: Buffer;
}

function transposeWords<T>(a: T[], rows: number, cols: number): T[] {
  const out: T[] = new Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

/**
 * Test-speed memos (jest runs this scalar code ~10x slower than plain node): the cast of a source value
 * depends only on (value, dtypes), and _0/_1 layouts share the same NK numbers before transposition.
 */
const castMemo = new Map<string, number>();
const quantMemo = new Map<string, { words: number[]; scales: number[] }>();

function cast(v: number, srcT: RefModelDtype, model: RefModelDtype, plusOne: boolean): number {
  const key = `${v}|${srcT}|${model}|${plusOne}`;
  let r = castMemo.get(key);
  if (r === undefined) {
    r = refToModel(plusOne ? refToModel(v + 1, srcT) : v, model);
    castMemo.set(key, r);
  }
  return r;
}

export function expectedOutput(dir: string, scheme: RefScheme): Map<string, ExpectedTensor> {
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const refs = new Map<string, TensorRef>();
  for (const t of readSafetensorsHeader(path.join(dir, 'model.safetensors')).tensors) refs.set(t.name, t);
  const mapping = buildWeightMapping(config.model_type, config, 'config.json');
  const out = new Map<string, ExpectedTensor>();
  for (const p of mapping.params) {
    const srcRefs = p.sources.map((s) => refs.get(s.name)!);
    // concatenate along axis 0; +1 in the source dtype for gemma norms; astype(model dtype)
    const values: number[] = [];
    for (const r of srcRefs) {
      const srcT: RefModelDtype = r.dtype === 'F16' ? 'float16' : r.dtype === 'BF16' ? 'bfloat16' : 'float32';
      for (const v of readTensorF32(r)) values.push(cast(v, srcT, scheme.model, p.plusOne === true));
    }
    const first = srcRefs[0].shape;
    const shape = first.length === 1 ? [values.length] : [srcRefs.reduce((s, r) => s + r.shape[0], 0), first[1]];
    const g = scheme.group;
    const quantize = g && (p.kind === 'linear' || ((p.kind === 'embedding' || p.kind === 'final-fc') && g.embedAndHead));
    if (!g || !quantize) {
      out.set(p.name, { shape, dtype: scheme.model, bytes: u16Bytes(values.map((v) => refStore16(v, scheme.model))) });
      continue;
    }
    const [N, K] = shape;
    const memoKey = `${dir}|${p.name}|${scheme.model}|${g.groupSize}|${g.bits}`;
    let nk = quantMemo.get(memoKey);
    if (!nk) {
      nk = { words: [], scales: [] };
      for (let r = 0; r < N; r++) {
        const q = refQuantizeRow(values.slice(r * K, r * K + K), { ...g, modelDtype: scheme.model });
        nk.words.push(...q.words);
        nk.scales.push(...q.scales.map((s) => refStore16(s, scheme.model)));
      }
      quantMemo.set(memoKey, nk);
    }
    const { words, scales } = nk;
    const W = words.length / N;
    const S = scales.length / N;
    const base = p.name.replace(/\.weight$/, '');
    if (g.kn && p.kind !== 'embedding') {
      out.set(`${base}.q_weight`, { shape: [W, N], dtype: 'uint32', bytes: u32Bytes(transposeWords(words, N, W)) });
      out.set(`${base}.q_scale`, { shape: [S, N], dtype: scheme.model, bytes: u16Bytes(transposeWords(scales, N, S)) });
    } else {
      out.set(`${base}.q_weight`, { shape: [N, W], dtype: 'uint32', bytes: u32Bytes(words) });
      out.set(`${base}.q_scale`, { shape: [N, S], dtype: scheme.model, bytes: u16Bytes(scales) });
    }
  }
  return out;
}

/** name → {shape, dtype, bytes} of a converted directory, read straight from the JSON and shards. */
export function readOutput(dir: string): { order: string[]; tensors: Map<string, ExpectedTensor>; json: { metadata: Record<string, number> } } {
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'tensor-cache.json'), 'utf8'));
  const tensors = new Map<string, ExpectedTensor>();
  const order: string[] = [];
  for (const shard of json.records) {
    const bytes = fs.readFileSync(path.join(dir, shard.dataPath));
    for (const r of shard.records) {
      order.push(r.name);
      tensors.set(r.name, { shape: r.shape, dtype: r.dtype, bytes: bytes.subarray(r.byteOffset, r.byteOffset + r.nbytes) });
    }
  }
  return { order, tensors, json };
}
