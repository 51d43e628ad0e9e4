/**
 * A lowered plan -> the webgpu library (core/webgpu/artifact.ts): every kernel the plan uses rendered to
 * WGSL twice (16-bit storage packed in u32, and native f16 where a kernel reads f16), the steps with their
 * buffer references and scalar expressions, and the parameter/scratch/table/KV layout. The TS host
 * (core/webgpu/model.ts) executes it.
 *
 * Three kernels are replaced by GPU-shaped variants written in the same IR, with the same dequantisation
 * (lower/quant.ts dequantExpr), recognised by name and confirmed by rebuilding the name from the spec
 * (as library-cuda.ts does):
 * - the cpu matmul dequantises a tile of weight rows into a per-thread array and parallelises over
 *   tiles; on a GPU that is a huge private array and too little parallelism. The variant computes one
 *   output (token, row) per invocation with the dequantisation fused into the dot, like the gemv;
 * - group-quantised matmuls and GEMVs walk the weight group by group (gpuGroupMatmulKernel): one load per
 *   packed word and one scale multiply per group;
 * - the cpu attention keeps all scores of a query in a context-sized array, past WGSL's 8 KiB limit on
 *   function-scope memory for long contexts. The variant recomputes the scores in a second pass
 *   (max, then exp-sum and weighted values): the same expressions in the same order, so the same numbers.
 * Anything not recognised renders as is; a new kernel is slower, never wrong.
 */
import type { Expr, Kernel } from '../ir/ir';
import { add, assign, band, buf, c, cast, div, exp, f, if_, kernel, let_, load, local, loop, loadF32, lt, max, mul, rmax, scalar, shr, store, sub, sum, tanh, u, v } from '../ir/build';
import type { BufRef, Plan } from '../lower/plan';
import type { ModelDims } from '../lower/model-dims';
import { dequantExpr, elemsPerWord, maxInt, numGroups, QUANT_SCHEMES, weightBuffers, wordsPerGroup, type GroupQuant } from '../lower/quant';
import { gemvKernelName, matmulKernelName, type MatmulSpec } from '../lower/kernels/matmul';
import { attentionKernelName, type AttentionSpec } from '../lower/kernels/attention';
import { renderKernelWgsl, WORKGROUP_SIZE, type RenderedWgslKernel } from './wgsl';
import { WEBGPU_ABI_VERSION, WEBGPU_LIBRARY_FORMAT, type WebgpuLibrary, type WgslKernelEntry, type WgslStep } from '../../webgpu/artifact';

export function gpuMatmulKernel(s: MatmulSpec): Kernel {
  const { n: N, k: K } = s;
  const weights = weightBuffers(s.q, s.embedding).map((w) => buf(w.name, w.t));
  const dot = sum('k', 0, K, mul(load({ name: 'x', t: 'f32' }, add(mul(v('t'), K), v('k'))), dequantExpr(s.q, N, K, v('row'), v('k'), s.embedding)));
  return kernel(
    `gpu_${matmulKernelName(s)}`,
    [buf('x', 'f32'), ...weights, ...(s.bias ? [buf('b', s.q.modelDtype)] : []), buf('y', 'f32', 'out')],
    [scalar('n')],
    [
      loop('t', 0, v('n'), [
        loop('row', 0, N, [
          let_('acc', dot),
          store('y', add(mul(v('t'), N), v('row')), s.bias ? add(v('acc', 'f32'), loadF32({ name: 'b', t: s.q.modelDtype }, v('row'))) : v('acc', 'f32')),
        ]),
      ]),
    ],
  );
}

export function gpuAttentionKernel(s: AttentionSpec): Kernel {
  const { hq, hkv, d } = s;
  const group = hq / hkv;
  const rowLen = (hq + 2 * hkv) * d;
  const qIdx = (i: Expr) => add(add(mul(v('t'), rowLen), mul(v('h'), d)), i);
  const kvBase = (j: Expr) => mul(add(mul(v('g'), v('cap')), j), d);
  const score = (j: string, i: string) => {
    let sc = mul(sum(i, 0, d, mul(load({ name: 'qkv', t: 'f32' }, qIdx(v(i))), load({ name: 'kc', t: 'f32' }, add(kvBase(v(j)), v(i))))), f(s.scale));
    if (s.softcap) sc = mul(tanh(div(sc, f(s.softcap))), f(s.softcap));
    return sc;
  };
  const lo = s.window ? max(0, sub(v('p'), s.window - 1)) : 0;
  return kernel(
    `gpu_${attentionKernelName(s)}`,
    [buf('qkv', 'f32'), buf('kc', 'f32'), buf('vc', 'f32'), buf('out', 'f32', 'out')],
    [scalar('n'), scalar('pos'), scalar('cap')],
    [
      loop('th', 0, mul(v('n'), hq), [
        let_('t', div(v('th'), hq)),
        let_('h', sub(v('th'), mul(v('t'), hq))),
        let_('g', div(v('h'), group)),
        let_('p', add(v('pos'), v('t'))),
        let_('lo', lo),
        local('acc', 'f32', d),
        let_('m', rmax('j', v('lo'), add(v('p'), 1), score('j', 'i'))),
        let_('den', f(0)),
        loop('i', 0, d, [store('acc', v('i'), f(0))]),
        loop('j', v('lo'), add(v('p'), 1), [
          let_('e', exp(sub(score('j', 'i2'), v('m', 'f32')))),
          assign('den', add(v('den', 'f32'), v('e', 'f32'))),
          loop('i', 0, d, [store('acc', v('i'), add(load({ name: 'acc', t: 'f32' }, v('i')), mul(v('e', 'f32'), load({ name: 'vc', t: 'f32' }, add(kvBase(v('j')), v('i'))))))]),
        ]),
        loop('i', 0, d, [store('out', add(mul(add(mul(v('t'), hq), v('h')), d), v('i')), div(load({ name: 'acc', t: 'f32' }, v('i')), v('den', 'f32')))]),
      ]),
    ],
  );
}

/** Whether the weight of a spec is group-quantised in a layout the grouped kernels handle. */
function groupWeight(s: MatmulSpec): GroupQuant | null {
  const q = s.q;
  if (q.kind !== 'group' || (s.embedding && !q.quantizeEmbedding)) return null;
  return q.groupSize % elemsPerWord(q) === 0 ? q : null;
}

/**
 * y[t, row] for a group-quantised weight, walked group by group: each packed word is loaded once and its
 * codes unpacked in registers, and the group's scale multiplies the group's partial sum once, instead of
 * reloading word and scale per element (what dequantExpr spells). Same products; the scale is applied per
 * group rather than per element, which moves results by float32 rounding only (conformance checks both).
 * `single`: the decode GEMV (no token loop, no scalars).
 */
export function gpuGroupMatmulKernel(s: MatmulSpec, single: boolean): Kernel {
  const q = groupWeight(s)!;
  const { n: N, k: K } = s;
  const epw = elemsPerWord(q);
  const wpg = wordsPerGroup(q);
  const ng = numGroups(q, K);
  const words = ng * wpg;
  const kn = q.layout === 'KN' && !s.embedding;
  const j = add(mul(v('g'), wpg), v('w'));
  const wordIdx = kn ? add(mul(j, N), v('row')) : add(mul(v('row'), words), j);
  const scaleIdx = kn ? add(mul(v('g'), N), v('row')) : add(mul(v('row'), ng), v('g'));
  const kk = add(mul(j, epw), v('e'));
  const xIdx = single ? kk : add(mul(v('t'), K), kk);
  const code = band(shr(v('word', 'u32'), cast(mul(v('e'), q.bits), 'u32')), u(2 ** q.bits - 1));
  const term = mul(load({ name: 'x', t: 'f32' }, xIdx), sub(cast(code, 'f32'), c(maxInt(q), 'f32')));
  const accumulate = assign('gs', add(v('gs', 'f32'), term));
  const body = [
    let_('acc', f(0)),
    loop('g', 0, ng, [
      let_('gs', f(0)),
      loop('w', 0, wpg, [
        let_('word', load({ name: 'qw', t: 'u32' }, wordIdx)),
        loop('e', 0, epw, [K % q.groupSize === 0 ? accumulate : if_(lt(kk, K), [accumulate])]),
      ]),
      assign('acc', add(v('acc', 'f32'), mul(v('gs', 'f32'), loadF32({ name: 'qs', t: q.modelDtype }, scaleIdx)))),
    ]),
    store('y', single ? v('row') : add(mul(v('t'), N), v('row')), s.bias ? add(v('acc', 'f32'), loadF32({ name: 'b', t: q.modelDtype }, v('row'))) : v('acc', 'f32')),
  ];
  const weights = weightBuffers(s.q, s.embedding).map((w) => buf(w.name, w.t));
  return kernel(
    `gpu_grouped_${single ? gemvKernelName(s) : matmulKernelName(s)}`,
    [buf('x', 'f32'), ...weights, ...(s.bias ? [buf('b', s.q.modelDtype)] : []), buf('y', 'f32', 'out')],
    single ? [] : [scalar('n')],
    single ? [loop('row', 0, N, body)] : [loop('t', 0, v('n'), [loop('row', 0, N, body)])],
  );
}

/** The GPU-shaped replacement of a plan kernel, or the kernel itself. */
export function gpuVariant(k: Kernel, dims: ModelDims): Kernel {
  const mm = /^(matmul|gemv)_(.+?)(_emb)?(_bias)?_n(\d+)_k(\d+)$/.exec(k.name);
  if (mm && QUANT_SCHEMES[mm[2]]) {
    const spec: MatmulSpec = { q: QUANT_SCHEMES[mm[2]], n: Number(mm[5]), k: Number(mm[6]), bias: !!mm[4], embedding: !!mm[3] };
    const single = mm[1] === 'gemv';
    if ((single ? gemvKernelName(spec) : matmulKernelName(spec)) === k.name) {
      if (groupWeight(spec)) return gpuGroupMatmulKernel(spec, single);
      if (!single) return gpuMatmulKernel(spec);
    }
  }
  const at = /^attention_hq(\d+)_hkv(\d+)_d(\d+)(?:_w(\d+))?/.exec(k.name);
  if (at) {
    const spec: AttentionSpec = { hq: Number(at[1]), hkv: Number(at[2]), d: Number(at[3]), scale: dims.attnScale, window: Number(at[4] ?? 0), softcap: dims.attnSoftcap };
    if (attentionKernelName(spec) === k.name) return gpuAttentionKernel(spec);
  }
  return k;
}

/** Two refs name the same GPU buffer (offsets aside). */
function sameBuffer(a: BufRef, b: BufRef): boolean {
  if (a.k !== b.k) return false;
  if (a.k === 'kv' && b.k === 'kv') return a.layer === b.layer && a.which === b.which;
  if ('name' in a && 'name' in b) return a.name === b.name;
  return true;
}

export interface WgslLibraryInfo {
  metadata: WebgpuLibrary['metadata'];
  dims: ModelDims;
}

export function renderLibraryWgsl(plan: Plan, info: WgslLibraryInfo): { library: WebgpuLibrary; sources: Map<string, string> } {
  const kernels: Record<string, WgslKernelEntry> = {};
  const sources = new Map<string, string>();
  const maxLocal = info.dims.contextWindow;

  /** Render (once) kernel `k` for a step whose refs are `refs`; returns the entry name. */
  const use = (k0: Kernel, refs: BufRef[]): string => {
    const k = gpuVariant(k0, info.dims);
    const alias: Record<string, string> = {};
    k.buffers.forEach((b, i) => {
      const first = k.buffers.findIndex((x, j) => j < i && sameBuffer(refs[j], refs[i]));
      if (first >= 0) alias[b.name] = k.buffers[first].name;
    });
    const suffix = Object.entries(alias).map(([a, b]) => `__${a}_as_${b}`).join('');
    const name = `${k.name}${suffix}`;
    if (kernels[name]) return name;
    const opts = { maxLocal, workgroupSize: WORKGROUP_SIZE, alias };
    const packed: RenderedWgslKernel = renderKernelWgsl(k, { ...opts, f16: 'packed' });
    const native = k.buffers.some((b) => b.t === 'f16') ? renderKernelWgsl(k, { ...opts, f16: 'native' }).code : undefined;
    kernels[name] = {
      code: { packed: packed.code, ...(native ? { native } : {}) },
      parts: packed.parts,
      bindings: packed.buffers.map((b) => ({ ...b, slot: k.buffers.findIndex((x) => x.name === b.name) })),
      uniforms: packed.uniforms,
      scalars: k.scalars.length,
      buffers: k.buffers.map((b) => b.name),
    };
    sources.set(name, packed.code);
    return name;
  };

  const steps: WgslStep[] = plan.steps.map((s) => ({
    kernel: use(s.kernel, s.bufs),
    ...(s.single ? { single: use(s.single, s.bufs) } : {}),
    bufs: s.bufs,
    scalars: s.scalars,
  }));
  const library: WebgpuLibrary = {
    format: WEBGPU_LIBRARY_FORMAT,
    abi_version: WEBGPU_ABI_VERSION,
    metadata: info.metadata,
    workgroupSize: WORKGROUP_SIZE,
    kernels,
    params: plan.params.map((p) => ({ name: p.name, dtype: p.dtype, shape: p.shape })),
    scratch: plan.scratch,
    tables: plan.tables,
    kv: plan.kv,
    steps,
  };
  return { library, sources };
}
