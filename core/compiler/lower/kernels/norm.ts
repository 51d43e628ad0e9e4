/**
 * RMSNorm over rows of `dim` floats: y = x / sqrt(mean(x^2) + eps) * w, computed in f32 like
 * transformers. Gemma's (1 + w) needs nothing here: MLC stores its norm weights already plus one.
 */
import type { DType, Kernel } from '../../ir/ir';
import { add, buf, div, f, kernel, let_, load, loadF32, loop, mul, scalar, sqrt, store, sum, v } from '../../ir/build';

export function rmsNormKernelName(dim: number, wt: DType): string {
  return `rms_norm_${wt}_d${dim}`;
}

/** Rows are `n` consecutive vectors of `dim`; y may alias x (in place). */
export function rmsNormKernel(dim: number, eps: number, wt: DType): Kernel {
  const xi = (i: string) => load({ name: 'x', t: 'f32' }, add(mul(v('t'), dim), v(i)));
  return kernel(
    rmsNormKernelName(dim, wt),
    [buf('x', 'f32'), buf('w', wt), buf('y', 'f32', 'out')],
    [scalar('n')],
    [
      loop('t', 0, v('n'), [
        let_('ss', sum('i', 0, dim, mul(xi('i'), xi('i')), dim % 8 === 0 ? 8 : undefined)),
        let_('inv', div(f(1), sqrt(add(div(v('ss', 'f32'), f(dim)), f(eps))))),
        loop('i', 0, dim, [store('y', add(mul(v('t'), dim), v('i')), mul(mul(xi('i'), v('inv', 'f32')), loadF32({ name: 'w', t: wt }, v('i'))))]),
      ]),
    ],
  );
}

/**
 * Qwen3's per-head q/k norms, in place on the fused qkv rows: heads [0, hq) use `wq`, heads
 * [hq, hq + hkv) use `wk`; v heads are untouched.
 */
export function qkNormKernel(hq: number, hkv: number, d: number, eps: number, wt: DType): Kernel {
  const rowLen = (hq + 2 * hkv) * d;
  const base = add(mul(v('t'), rowLen), mul(v('h'), d));
  const xi = (i: string) => load({ name: 'qkv', t: 'f32' }, add(base, v(i)));
  const weight = (i: string) => {
    const q = loadF32({ name: 'wq', t: wt }, v(i));
    const k = loadF32({ name: 'wk', t: wt }, v(i));
    return { k: 'select' as const, c: { k: 'bin' as const, op: '<' as const, a: v('h'), b: { k: 'const' as const, v: hq, t: 'i32' as const }, t: 'bool' as const }, a: q, b: k, t: 'f32' as const };
  };
  return kernel(
    `qk_norm_${wt}_hq${hq}_hkv${hkv}_d${d}`,
    [buf('qkv', 'f32', 'inout'), buf('wq', wt), buf('wk', wt)],
    [scalar('n')],
    [
      loop('t', 0, v('n'), [
        loop('h', 0, hq + hkv, [
          let_('ss', sum('i', 0, d, mul(xi('i'), xi('i')))),
          let_('inv', div(f(1), sqrt(add(div(v('ss', 'f32'), f(d)), f(eps))))),
          loop('i', 0, d, [store('qkv', add(base, v('i')), mul(mul(xi('i'), v('inv', 'f32')), weight('i')))]),
        ]),
      ]),
    ],
  );
}
