/**
 * y[t, n] = sum_k x[t, k] * W[n, k] (+ bias[n]) with the weight's dequantisation fused in.
 *
 * Blocked over output rows: each parallel task dequantises a tile of `tile` weight rows to f32 once
 * and reuses it for every token of the chunk (prefill), so the packed weight is decoded once per
 * chunk, not once per token. The dot product asks for 8 independent partial sums, which the C++
 * renderer turns into vector FMAs. Decode is the same kernel with n = 1.
 */
import type { Intrinsic, Kernel } from '../../ir/ir';
import { add, buf, kernel, let_, load, local, loop, min, mul, scalar, store, sub, sum, v, loadF32 } from '../../ir/build';
import { dequantExpr, weightBuffers, type QuantScheme } from '../quant';

export interface MatmulSpec {
  q: QuantScheme;
  n: number;
  k: number;
  bias?: boolean;
  /** The weight is an embedding table used as lm_head (tied): embedding layout rules apply. */
  embedding?: boolean;
  /** Output rows per task; defaults to about 32 KiB of dequantised tile. */
  tile?: number;
  /** Let the decode GEMV quantise activations to int8 (opt O3). */
  int8Activations?: boolean;
}

/** The AVX2 q4 fast path covers 4-bit, group-32, row-major (NK or embedding) weights with whole groups. */
function q4Intrinsic(s: MatmulSpec, op: Intrinsic['op']): Intrinsic | undefined {
  const q = s.q;
  if (q.kind !== 'group' || q.bits !== 4 || q.groupSize !== 32 || s.k % 32 !== 0) return undefined;
  if (q.layout !== 'NK' && !s.embedding) return undefined;
  if (s.embedding && !q.quantizeEmbedding) return undefined;
  const int8 = op === 'q4_gemv' && s.int8Activations ? { int8Activations: true } : {};
  return { op, scale: q.modelDtype, bias: s.bias ? q.modelDtype : undefined, n: s.n, k: s.k, ...int8 };
}

export function defaultTile(k: number): number {
  return Math.max(1, Math.min(16, Math.floor(8192 / k)));
}

export function matmulKernelName(s: MatmulSpec): string {
  return `matmul_${s.q.name}${s.embedding ? '_emb' : ''}${s.bias ? '_bias' : ''}_n${s.n}_k${s.k}`;
}

export function matmulKernel(s: MatmulSpec): Kernel {
  const tile = s.tile ?? defaultTile(s.k);
  const { n: N, k: K } = s;
  const nTiles = Math.ceil(N / tile);
  const weights = weightBuffers(s.q, s.embedding).map((w) => buf(w.name, w.t));
  const row = add(mul(v('tb'), tile), v('r'));
  const vec = K % 8 === 0 ? 8 : undefined;
  const out = [
    let_('acc', sum('kk', 0, K, mul(load({ name: 'x', t: 'f32' }, add(mul(v('t'), K), v('kk'))), load({ name: 'wt', t: 'f32' }, add(mul(v('r'), K), v('kk')))), vec)),
    store('y', add(mul(v('t'), N), row), s.bias ? add(v('acc', 'f32'), loadF32({ name: 'b', t: s.q.modelDtype }, row)) : v('acc', 'f32')),
  ];
  const k = kernel(
    matmulKernelName(s),
    [buf('x', 'f32'), ...weights, ...(s.bias ? [buf('b', s.q.modelDtype)] : []), buf('y', 'f32', 'out')],
    [scalar('n')],
    [
      loop('tb', 0, nTiles, [
        local('wt', 'f32', tile * K),
        let_('rows', min(tile, sub(N, mul(v('tb'), tile)))),
        loop('r', 0, v('rows'), [
          loop('k', 0, K, [store('wt', add(mul(v('r'), K), v('k')), dequantExpr(s.q, N, K, row, v('k'), s.embedding))], { vec: 8 }),
        ]),
        loop('t', 0, v('n'), [loop('r', 0, v('rows'), out)]),
      ], { parallel: true }),
    ],
  );
  return { ...k, intrinsic: q4Intrinsic(s, 'q4_matmul') };
}

/** Single-token product with the dequantisation fused into the dot (no tile): the decode path. */
export function gemvKernelName(s: MatmulSpec): string {
  return `gemv_${s.q.name}${s.int8Activations ? '_q8act' : ''}${s.embedding ? '_emb' : ''}${s.bias ? '_bias' : ''}_n${s.n}_k${s.k}`;
}

export function gemvKernel(s: MatmulSpec): Kernel {
  const { n: N, k: K } = s;
  const weights = weightBuffers(s.q, s.embedding).map((w) => buf(w.name, w.t));
  const vec = K % 8 === 0 ? 8 : undefined;
  const dot = sum('k', 0, K, mul(load({ name: 'x', t: 'f32' }, v('k')), dequantExpr(s.q, N, K, v('row'), v('k'), s.embedding)), vec);
  const k = kernel(
    gemvKernelName(s),
    [buf('x', 'f32'), ...weights, ...(s.bias ? [buf('b', s.q.modelDtype)] : []), buf('y', 'f32', 'out')],
    [],
    [
      loop('row', 0, N, [
        let_('acc', dot),
        store('y', v('row'), s.bias ? add(v('acc', 'f32'), loadF32({ name: 'b', t: s.q.modelDtype }, v('row'))) : v('acc', 'f32')),
      ], { parallel: true }),
    ],
  );
  return { ...k, intrinsic: q4Intrinsic(s, 'q4_gemv') };
}
