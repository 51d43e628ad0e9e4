/**
 * Conformance cases as data (ggml test-backend-ops style): op, dtypes/quantization, shapes (odd ones
 * included), tolerance. Each case builds its kernel from the same builders the lowering uses.
 */
import type { Kernel } from '../ir/ir';
import { quantScheme } from '../lower/quant';
import { gemvKernel, matmulKernel } from '../lower/kernels/matmul';
import { qkNormKernel, rmsNormKernel } from '../lower/kernels/norm';
import { ropeKernel } from '../lower/kernels/rope';
import { attentionKernel, kvAppendKernel } from '../lower/kernels/attention';
import { embedKernel, gatedActKernel, residualAddKernel, softcapKernel } from '../lower/kernels/elementwise';

export interface MatmulCase {
  op: 'matmul' | 'gemv';
  quantization: string;
  n: number;
  k: number;
  rows: number;
  bias: boolean;
  embedding?: boolean;
  /** O3's int8-activation GEMV: checked to 2e-2 of the output's scale, not 1e-5. */
  int8?: boolean;
}

export const MATMUL_CASES: MatmulCase[] = [
  ...['q0f32', 'q0f16', 'q0bf16', 'q4f16_1', 'q4f16_0', 'q3f16_1', 'q4f32_1', 'q4bf16_1'].flatMap((quantization): MatmulCase[] => [
    { op: 'matmul', quantization, n: 37, k: 96, rows: 7, bias: false },
    { op: 'gemv', quantization, n: 37, k: 96, rows: 1, bias: true },
  ]),
  { op: 'matmul', quantization: 'q4f16_1', n: 64, k: 128, rows: 9, bias: true },
  { op: 'matmul', quantization: 'q4f16_1', n: 50, k: 64, rows: 3, bias: false, embedding: true },
  { op: 'matmul', quantization: 'q3f16_1', n: 19, k: 100, rows: 5, bias: false },
  { op: 'gemv', quantization: 'q4f16_1', n: 37, k: 96, rows: 1, bias: true, int8: true },
  { op: 'gemv', quantization: 'q4f32_1', n: 64, k: 256, rows: 1, bias: false, int8: true },
  { op: 'gemv', quantization: 'q4f16_1', n: 50, k: 64, rows: 1, bias: false, embedding: true, int8: true },
];

export function matmulCaseKernel(c: MatmulCase): Kernel {
  const spec = { q: quantScheme(c.quantization), n: c.n, k: c.k, bias: c.bias, embedding: c.embedding, int8Activations: c.int8 };
  return c.op === 'gemv' ? gemvKernel(spec) : matmulKernel(spec);
}

export interface AttentionCase {
  hq: number;
  hkv: number;
  d: number;
  n: number;
  pos: number;
  window: number;
  softcap: number;
}

export const ATTENTION_CASES: AttentionCase[] = [
  { hq: 4, hkv: 2, d: 16, n: 5, pos: 0, window: 0, softcap: 0 },
  { hq: 4, hkv: 4, d: 32, n: 3, pos: 6, window: 0, softcap: 0 },
  { hq: 6, hkv: 2, d: 16, n: 1, pos: 11, window: 4, softcap: 0 },
  { hq: 4, hkv: 2, d: 16, n: 9, pos: 2, window: 5, softcap: 50 },
];

export function attentionCaseKernels(c: AttentionCase): { append: Kernel; attn: Kernel } {
  return {
    append: kvAppendKernel(c.hq, c.hkv, c.d),
    attn: attentionKernel({ hq: c.hq, hkv: c.hkv, d: c.d, scale: 1 / Math.sqrt(c.d), window: c.window, softcap: c.softcap }),
  };
}

export const ELEMENTWISE_KERNELS = {
  rmsF32: rmsNormKernel(96, 1e-6, 'f32'),
  rmsF16: rmsNormKernel(60, 1e-5, 'f16'),
  qkNorm: qkNormKernel(4, 2, 16, 1e-6, 'f32'),
  rope: ropeKernel(4, 2, 16, 16),
  ropePartial: ropeKernel(2, 2, 16, 8),
  silu: gatedActKernel(40, 'silu'),
  gelu: gatedActKernel(24, 'gelu_tanh'),
  residual: residualAddKernel(48),
  softcap: softcapKernel(33, 30),
  embedQ4: embedKernel(quantScheme('q4f16_1'), 20, 64, 8),
};
