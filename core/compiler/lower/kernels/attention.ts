/**
 * Causal grouped-query attention over the KV cache, and the append that fills the cache.
 *
 * Cache layout per layer: k and v as [kv_heads, cap, head_dim] f32, `cap` the instance's context
 * capacity (a runtime scalar, so one library serves any context size up to the compiled maximum).
 * Token t of the chunk sits at position pos + t and sees keys [lo, pos + t], lo = pos + t - window + 1
 * for sliding-window layers, else 0. Optional gemma2 logit soft-capping: s = cap * tanh(s / cap).
 */
import type { Kernel } from '../../ir/ir';
import { add, assign, buf, div, exp, f, kernel, let_, load, local, loop, max, mul, rmax, scalar, store, sub, sum, tanh, v } from '../../ir/build';

export function kvAppendKernel(hq: number, hkv: number, d: number): Kernel {
  const rowLen = (hq + 2 * hkv) * d;
  const cacheIdx = add(mul(add(mul(v('h'), v('cap')), add(v('pos'), v('t'))), d), v('i'));
  const src = (headOffset: number) => load({ name: 'qkv', t: 'f32' }, add(add(mul(v('t'), rowLen), mul(add(v('h'), headOffset), d)), v('i')));
  return kernel(
    `kv_append_hq${hq}_hkv${hkv}_d${d}`,
    [buf('qkv', 'f32'), buf('kc', 'f32', 'out'), buf('vc', 'f32', 'out')],
    [scalar('n'), scalar('pos'), scalar('cap')],
    [
      loop('t', 0, v('n'), [
        loop('h', 0, hkv, [
          loop('i', 0, d, [store('kc', cacheIdx, src(hq)), store('vc', cacheIdx, src(hq + hkv))]),
        ]),
      ]),
    ],
  );
}

export interface AttentionSpec {
  hq: number;
  hkv: number;
  d: number;
  /** Multiplier of q·k (1/sqrt(d) usually; gemma2: query_pre_attn_scalar^-0.5). */
  scale: number;
  /** Sliding window in tokens; 0 = full causal. */
  window: number;
  /** Gemma2 attn_logit_softcapping; 0 = none. */
  softcap: number;
}

export function attentionKernelName(s: AttentionSpec): string {
  return `attention_hq${s.hq}_hkv${s.hkv}_d${s.d}${s.window ? `_w${s.window}` : ''}${s.softcap ? `_cap${s.softcap}` : ''}`;
}

export function attentionKernel(s: AttentionSpec): Kernel {
  const { hq, hkv, d } = s;
  const group = hq / hkv;
  const rowLen = (hq + 2 * hkv) * d;
  const qIdx = (i: ReturnType<typeof v>) => add(add(mul(v('t'), rowLen), mul(v('h'), d)), i);
  const kvBase = (j: ReturnType<typeof v>) => mul(add(mul(v('g'), v('cap')), j), d);
  let score = mul(sum('i', 0, d, mul(load({ name: 'qkv', t: 'f32' }, qIdx(v('i'))), load({ name: 'kc', t: 'f32' }, add(kvBase(v('j')), v('i'))))), f(s.scale));
  if (s.softcap) score = mul(tanh(div(score, f(s.softcap))), f(s.softcap));
  const lo = s.window ? max(0, sub(v('p'), s.window - 1)) : 0;
  return kernel(
    attentionKernelName(s),
    [buf('qkv', 'f32'), buf('kc', 'f32'), buf('vc', 'f32'), buf('out', 'f32', 'out')],
    [scalar('n'), scalar('pos'), scalar('cap')],
    [
      loop('th', 0, mul(v('n'), hq), [
        let_('t', div(v('th'), hq)),
        let_('h', sub(v('th'), mul(v('t'), hq))),
        let_('g', div(v('h'), group)),
        let_('p', add(v('pos'), v('t'))),
        let_('lo', lo),
        local('sc', 'f32', add(v('p'), 1)),
        local('acc', 'f32', d),
        loop('j', v('lo'), add(v('p'), 1), [store('sc', v('j'), score)]),
        let_('m', rmax('j', v('lo'), add(v('p'), 1), load({ name: 'sc', t: 'f32' }, v('j')))),
        let_('den', f(0)),
        loop('i', 0, d, [store('acc', v('i'), f(0))]),
        loop('j', v('lo'), add(v('p'), 1), [
          let_('e', exp(sub(load({ name: 'sc', t: 'f32' }, v('j')), v('m', 'f32')))),
          assign('den', add(v('den', 'f32'), v('e', 'f32'))),
          loop('i', 0, d, [store('acc', v('i'), add(load({ name: 'acc', t: 'f32' }, v('i')), mul(v('e', 'f32'), load({ name: 'vc', t: 'f32' }, add(kvBase(v('j')), v('i'))))))], { vec: 8 }),
        ]),
        loop('i', 0, d, [store('out', add(mul(add(mul(v('t'), hq), v('h')), d), v('i')), div(load({ name: 'acc', t: 'f32' }, v('i')), v('den', 'f32')))]),
      ], { parallel: true }),
    ],
  );
}
