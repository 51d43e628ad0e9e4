/** Small elementwise kernels: gated MLP activations, residual adds, scaling, soft-capping, embedding lookup. */
import type { Kernel } from '../../ir/ir';
import { add, buf, div, exp, f, kernel, let_, load, loop, mul, scalar, store, tanh, v } from '../../ir/build';
import { dequantExpr, weightBuffers, type QuantScheme } from '../quant';

export type Activation = 'silu' | 'gelu_tanh';

/** out[t, i] = act(gu[t, i]) * gu[t, inter + i]: MLC's fused gate_up_proj, gate first. */
export function gatedActKernel(inter: number, act: Activation): Kernel {
  const g = load({ name: 'gu', t: 'f32' }, add(mul(v('t'), 2 * inter), v('i')));
  const up = load({ name: 'gu', t: 'f32' }, add(add(mul(v('t'), 2 * inter), inter), v('i')));
  const x = v('x', 'f32');
  // silu(x) = x / (1 + e^-x); gelu_tanh(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
  const a = act === 'silu'
    ? div(x, add(f(1), exp(mul(f(-1), x))))
    : mul(mul(f(0.5), x), add(f(1), tanh(mul(f(Math.sqrt(2 / Math.PI)), add(x, mul(f(0.044715), mul(x, mul(x, x))))))));
  return kernel(
    `gated_${act}_i${inter}`,
    [buf('gu', 'f32'), buf('out', 'f32', 'out')],
    [scalar('n')],
    [loop('t', 0, v('n'), [loop('i', 0, inter, [let_('x', g), store('out', add(mul(v('t'), inter), v('i')), mul(a, up))], { vec: 8 })])],
  );
}

/** x[t, i] += y[t, i]. */
export function residualAddKernel(dim: number): Kernel {
  const idx = add(mul(v('t'), dim), v('i'));
  return kernel(
    `residual_add_d${dim}`,
    [buf('x', 'f32', 'inout'), buf('y', 'f32')],
    [scalar('n')],
    [loop('t', 0, v('n'), [loop('i', 0, dim, [store('x', idx, add(load({ name: 'x', t: 'f32' }, idx), load({ name: 'y', t: 'f32' }, idx)))], { vec: 8 })])],
  );
}

/** x = cap * tanh(x / cap) over n rows (gemma2 final logits). */
export function softcapKernel(dim: number, cap: number): Kernel {
  const idx = add(mul(v('t'), dim), v('i'));
  return kernel(
    `softcap_d${dim}_c${cap}`,
    [buf('x', 'f32', 'inout')],
    [scalar('n')],
    [loop('t', 0, v('n'), [loop('i', 0, dim, [store('x', idx, mul(tanh(div(load({ name: 'x', t: 'f32' }, idx), f(cap))), f(cap)))])])],
  );
}

/** out[t, :] = dequant(table[tokens[t], :]) * scale (gemma: sqrt(hidden)). */
export function embedKernel(q: QuantScheme, vocab: number, hidden: number, scale: number): Kernel {
  const weights = weightBuffers(q, true).map((w) => buf(w.name, w.t));
  let val = dequantExpr(q, vocab, hidden, v('tok'), v('i'), true);
  if (scale !== 1) val = mul(val, f(scale));
  return kernel(
    `embed_${q.name}_v${vocab}_h${hidden}${scale !== 1 ? '_scaled' : ''}`,
    [buf('tokens', 'i32'), ...weights, buf('out', 'f32', 'out')],
    [scalar('n')],
    [loop('t', 0, v('n'), [let_('tok', load({ name: 'tokens', t: 'i32' }, v('t'))), loop('i', 0, hidden, [store('out', add(mul(v('t'), hidden), v('i')), val)])])],
  );
}
