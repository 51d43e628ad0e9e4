/**
 * Quantization schemes the compiler understands, as data (spec §5.1), plus the one function that
 * spells their dequantisation in the kernel IR. The weight converter writes these layouts; kernels
 * read them through `dequantExpr`, so the packing rule lives in exactly one place on this side.
 */
import type { DType, Expr } from '../ir/ir';
import { add, band, c, cast, div, load, loadF32, mod, mul, shr, sub, u, E } from '../ir/build';
import { NxMlcError } from '../../support/errors';

export interface NoQuant {
  kind: 'none';
  name: string;
  /** dtype of every parameter (weights, norms, biases). */
  modelDtype: DType;
}

export interface GroupQuant {
  kind: 'group';
  name: string;
  modelDtype: DType;
  bits: number;
  groupSize: number;
  /** NK: q_weight [N, words]; KN (the *_0 schemes): transposed, q_weight [words, N]. */
  layout: 'NK' | 'KN';
  /** Whether embeddings / lm_head are quantised too (false only for q4f16_2). */
  quantizeEmbedding: boolean;
}

export type QuantScheme = NoQuant | GroupQuant;

function group(name: string, bits: number, groupSize: number, modelDtype: DType, layout: 'NK' | 'KN', quantizeEmbedding = true): GroupQuant {
  return { kind: 'group', name, bits, groupSize, modelDtype, layout, quantizeEmbedding };
}

export const QUANT_SCHEMES: Record<string, QuantScheme> = {
  q0f32: { kind: 'none', name: 'q0f32', modelDtype: 'f32' },
  q0f16: { kind: 'none', name: 'q0f16', modelDtype: 'f16' },
  q0bf16: { kind: 'none', name: 'q0bf16', modelDtype: 'bf16' },
  q3f16_0: group('q3f16_0', 3, 40, 'f16', 'KN'),
  q3f16_1: group('q3f16_1', 3, 40, 'f16', 'NK'),
  q4f16_0: group('q4f16_0', 4, 32, 'f16', 'KN'),
  q4f16_1: group('q4f16_1', 4, 32, 'f16', 'NK'),
  q4bf16_0: group('q4bf16_0', 4, 32, 'bf16', 'KN'),
  q4bf16_1: group('q4bf16_1', 4, 32, 'bf16', 'NK'),
  q4f32_1: group('q4f32_1', 4, 32, 'f32', 'NK'),
  q4f16_2: group('q4f16_2', 4, 32, 'f16', 'NK', false),
};

export function quantScheme(name: string, file?: string): QuantScheme {
  const q = QUANT_SCHEMES[name];
  if (!q) {
    throw new NxMlcError(`quantization "${name}" is not supported by the cpu compiler`, {
      file,
      field: 'quantization',
      fix: `use one of: ${Object.keys(QUANT_SCHEMES).join(', ')}`,
    });
  }
  return q;
}

/** TVM dtype names, as tensor-cache.json and the library metadata spell them. */
export const TVM_DTYPE: Record<DType, string> = {
  f32: 'float32', f16: 'float16', bf16: 'bfloat16', u32: 'uint32', i32: 'int32', i64: 'int64', bool: 'bool',
};

export const elemsPerWord = (q: GroupQuant): number => Math.floor(32 / q.bits);
export const wordsPerGroup = (q: GroupQuant): number => Math.ceil(q.groupSize / elemsPerWord(q));
export const maxInt = (q: GroupQuant): number => 2 ** (q.bits - 1) - 1;
export const numGroups = (q: GroupQuant, k: number): number => Math.ceil(k / q.groupSize);

export interface ParamDecl {
  name: string;
  dtype: DType;
  shape: number[];
}

/**
 * The parameters one linear layer (weight [N, K]) becomes under a scheme, MLC names and shapes
 * (spec §5.3 step 5). `embedding` tables are never transposed, whatever the layout.
 */
export function linearParams(q: QuantScheme, prefix: string, n: number, k: number, embedding = false): ParamDecl[] {
  if (q.kind === 'none' || (embedding && !q.quantizeEmbedding)) {
    return [{ name: `${prefix}.weight`, dtype: q.modelDtype, shape: [n, k] }];
  }
  const words = numGroups(q, k) * wordsPerGroup(q);
  const ng = numGroups(q, k);
  if (q.layout === 'KN' && !embedding) {
    return [
      { name: `${prefix}.q_weight`, dtype: 'u32', shape: [words, n] },
      { name: `${prefix}.q_scale`, dtype: q.modelDtype, shape: [ng, n] },
    ];
  }
  return [
    { name: `${prefix}.q_weight`, dtype: 'u32', shape: [n, words] },
    { name: `${prefix}.q_scale`, dtype: q.modelDtype, shape: [n, ng] },
  ];
}

/** Buffers a kernel needs to read one weight: their kernel-local names and dtypes. */
export function weightBuffers(q: QuantScheme, embedding = false): { name: string; t: DType }[] {
  if (q.kind === 'none' || (embedding && !q.quantizeEmbedding)) return [{ name: 'w', t: q.modelDtype }];
  return [{ name: 'qw', t: 'u32' }, { name: 'qs', t: q.modelDtype }];
}

/**
 * W[n, k] as an f32 expression. For group quantisation (spec §5.3 step 6):
 * word j = k / E holds element k % E at bit offset (k % E) * bits, LSB first;
 * w = (((word >> off) & (2^bits - 1)) - max_int) * scale[k / G].
 */
export function dequantExpr(q: QuantScheme, nDim: number, kDim: number, n: E, k: E, embedding = false): Expr {
  if (q.kind === 'none' || (embedding && !q.quantizeEmbedding)) {
    return loadF32({ name: 'w', t: q.modelDtype }, add(mul(n, kDim), k));
  }
  const epw = elemsPerWord(q);
  const words = numGroups(q, kDim) * wordsPerGroup(q);
  const ng = numGroups(q, kDim);
  const kn = q.layout === 'KN' && !embedding;
  const wordIdx = kn ? add(mul(div(k, epw), nDim), n) : add(mul(n, words), div(k, epw));
  const scaleIdx = kn ? add(mul(div(k, q.groupSize), nDim), n) : add(mul(n, ng), div(k, q.groupSize));
  const word = load({ name: 'qw', t: 'u32' }, wordIdx);
  const shift = cast(mul(mod(k, epw), q.bits), 'u32');
  const code = band(shr(word, shift), u(2 ** q.bits - 1));
  const centred = sub(cast(code, 'f32'), c(maxInt(q), 'f32'));
  return mul(centred, loadF32({ name: 'qs', t: q.modelDtype }, scaleIdx));
}
