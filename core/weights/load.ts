import * as fs from 'node:fs';
import * as path from 'node:path';
import { NxMlcError } from '../support/errors';
import { decodeModel, groupDequantize, groupShape } from '../quant/group-kernel';
import { getQuantization, GroupQuantization, ModelDtype } from '../quant/registry';
import { roundF16 } from '../quant/numerics';
import { readTensorCacheJson, storedNbytes } from './tensor-cache-read';

/**
 * Reading converted weights back (for the reference implementation and tests): every record decoded to
 * float32 (float16 / bfloat16 / float32-stored-as-bf16) or kept as raw uint32 words, and logical weights
 * dequantized to float32 [N, K] whatever the quantization.
 */

export interface MlcParam {
  dtype: string;
  shape: number[];
  /** float records decoded to float32; uint32 words as they are */
  data: Float32Array | Uint32Array;
}

export type MlcParams = Map<string, MlcParam>;

export function loadMlcParams(dir: string): MlcParams {
  const { file, cache } = readTensorCacheJson(dir);
  const out: MlcParams = new Map();
  for (const shard of cache.records) {
    const bytes = fs.readFileSync(path.join(dir, shard.dataPath));
    for (const r of shard.records) {
      const nbytes = storedNbytes(r.shape, r.dtype, r.format);
      if (r.byteOffset + nbytes > bytes.length) {
        throw new NxMlcError(`Tensor ${r.name} runs past the end of ${shard.dataPath}`, { file, field: r.name, fix: 'Re-run convert-weight; run verify-weights to see what is damaged.' });
      }
      const raw = new Uint8Array(nbytes);
      raw.set(bytes.subarray(r.byteOffset, r.byteOffset + nbytes));
      const n = r.shape.reduce((a, b) => a * b, 1);
      let data: Float32Array | Uint32Array;
      if (r.dtype === 'uint32') data = new Uint32Array(raw.buffer);
      else if (r.dtype === 'float16' || r.dtype === 'bfloat16' || (r.dtype === 'float32' && r.format === 'f32-to-bf16')) {
        data = new Float32Array(n);
        decodeModel(new Uint16Array(raw.buffer), n, r.dtype === 'float16' ? 'float16' : 'bfloat16', data);
      } else if (r.dtype === 'float32') data = new Float32Array(raw.buffer);
      else throw new NxMlcError(`Tensor ${r.name} has dtype ${r.dtype}, which this reader does not decode`, { file, field: r.name, fix: 'Use a q0*/q3*/q4* conversion.' });
      out.set(r.name, { dtype: r.dtype, shape: r.shape, data });
    }
  }
  return out;
}

/**
 * A logical weight as float32: `name` itself if stored unquantized, else `{base}.q_weight` + `{base}.q_scale`
 * dequantized as the runtime does (w = T((q − max_int)·scale)). The layout (NK or transposed KN) is read off
 * the shapes. `k` is the true row length when it is not a multiple of the group size (default: groups × G).
 */
export function dequantizeParam(params: MlcParams, name: string, quantization: string, k?: number): { shape: number[]; data: Float32Array } {
  const plain = params.get(name);
  if (plain) {
    if (!(plain.data instanceof Float32Array)) throw new Error(`${name} is not a float tensor`);
    return { shape: plain.shape, data: plain.data };
  }
  const base = name.replace(/\.weight$/, '');
  if (params.has(`${base}.qweight`)) return dequantizeAwq(params, base);
  const qw = params.get(`${base}.q_weight`);
  const qs = params.get(`${base}.q_scale`);
  if (!qw || !qs) throw new NxMlcError(`No parameter ${name} (nor ${base}.q_weight / q_scale) in the converted weights`, { field: name, fix: 'Check the model type and quantization of the conversion.' });
  const q = getQuantization(quantization);
  if (q.kind !== 'group-quant') throw new Error(`${name} is quantized but ${quantization} is not a group quantization`);
  const g = q as GroupQuantization;
  const [a, b] = qw.shape;
  const [c, d] = qs.shape;
  const nk = a === c && b === d * g.wordsPerGroup;
  const N = nk ? a : b;
  const groups = nk ? d : c;
  const K = k ?? groups * g.groupSize;
  if (groupShape(K, g).groups !== groups) throw new Error(`${name}: k=${K} does not give ${groups} groups`);
  const words = groups * g.wordsPerGroup;
  let wNK = qw.data as Uint32Array;
  let sNK = qs.data as Float32Array;
  if (!nk) {
    wNK = new Uint32Array(N * words);
    sNK = new Float32Array(N * groups);
    for (let r = 0; r < words; r++) for (let n = 0; n < N; n++) wNK[n * words + r] = (qw.data as Uint32Array)[r * N + n];
    for (let r = 0; r < groups; r++) for (let n = 0; n < N; n++) sNK[n * groups + r] = (qs.data as Float32Array)[r * N + n];
  }
  const out = new Float32Array(N * K);
  groupDequantize(wNK, sNK, N, K, g, out);
  return { shape: [N, K], data: out };
}

/** AutoAWQ nibble order (spec §5.4): logical column c%8 = 0..7 sits at bit offsets 0,16,4,20,8,24,12,28. */
const AWQ_SHIFT = [0, 16, 4, 20, 8, 24, 12, 28];

/** AutoAWQ GEMM layout back to float32 [N, K]: w[n][k] = fp16((q − z) · s), groups along K. */
function dequantizeAwq(params: MlcParams, base: string): { shape: number[]; data: Float32Array } {
  const qw = params.get(`${base}.qweight`)!;
  const qz = params.get(`${base}.qzeros`);
  const sc = params.get(`${base}.scales`);
  if (!qz || !sc) throw new NxMlcError(`${base}.qweight has no qzeros/scales beside it`, { field: base, fix: 'Re-run convert-weight.' });
  const [K, W] = qw.shape;
  const N = W * 8;
  const groups = sc.shape[0];
  const G = K / groups;
  const q = qw.data as Uint32Array;
  const z = qz.data as Uint32Array;
  const s = sc.data as Float32Array;
  const out = new Float32Array(N * K);
  for (let k = 0; k < K; k++) {
    const g = Math.floor(k / G);
    for (let n = 0; n < N; n++) {
      const word = n >> 3;
      const shift = AWQ_SHIFT[n & 7];
      const code = (q[k * W + word] >>> shift) & 15;
      const zero = (z[g * W + word] >>> shift) & 15;
      out[n * K + k] = roundF16((code - zero) * s[g * N + n]);
    }
  }
  return { shape: [N, K], data: out };
}

export type { ModelDtype };
