/**
 * A lowered plan -> one CUDA translation unit: every kernel's generic launcher (render/cuda.ts), the
 * fast-path launches that replace them where a hand-written template of native/cuda/nx_cuda_kernels.cuh
 * computes the same thing, the parameter table, and `nx_forward`, the sequence of launches on the instance's
 * stream. Together with native/cuda/nx_cuda_runtime.cu this is the whole library.
 *
 * Fast paths are recognised by kernel name, then confirmed by rebuilding the kernel name from the spec
 * the template implements (the names are deterministic functions of op, types and shapes, see
 * lower/kernels/*). Anything not recognised runs its generic launcher, so a renamed or new kernel is slower,
 * never wrong. `fastPaths: false` renders the generic path everywhere (used to bisect conformance failures).
 */
import type { DType, Expr, Kernel } from '../ir/ir';
import type { BufRef, Plan, Step } from '../lower/plan';
import type { ModelDims } from '../lower/model-dims';
import { QUANT_SCHEMES, TVM_DTYPE, type QuantScheme } from '../lower/quant';
import { gemvKernelName, matmulKernelName } from '../lower/kernels/matmul';
import { attentionKernelName } from '../lower/kernels/attention';
import { rmsNormKernelName } from '../lower/kernels/norm';
import { renderConst } from './cpp';
import { CUDA_TYPE, launcherName, renderKernelCuda } from './cuda';
import { planKernels } from './library-cpp';

export interface CudaLibraryInfo {
  metadataJson: string;
  dims: ModelDims;
}

export interface CudaRenderOptions {
  fastPaths: boolean;
  /**
   * Second-generation kernels (opt O2, the default, and O3), measured on an H100 (bench/RESULTS.md): the v3 q4
   * GEMV (f16 staged activations, half2 dequantisation), decode attention with the split combine fused, the
   * mma.sync prefill matmuls (nx_mm_q4 / nx_mm_f16), RoPE fused with the KV append, programmatic dependent launch.
   * Off (O1): the first-generation fast paths.
   */
  v2?: boolean;
}

/** Rows per warp for the v2 GEMV: as many as keep at least two 128-thread blocks per SM of an H100. */
export function gemvRowsPerWarp(nOut: number): 1 | 2 | 4 {
  for (const r of [4, 2] as const) if (Math.ceil(nOut / (4 * r)) >= 2 * 132) return r;
  return 1;
}

/** Largest K of the v3 q4 GEMV (its f16 activation staging is static shared memory); NX_GEMV_Q4H_MAX_K. */
export const GEMV_Q4H_MAX_K = 16384;

/** Rows per warp for the v3 q4 GEMV (8 warps per block). */
export function gemvQ4hRowsPerWarp(nOut: number, k: number): 1 | 2 {
  // Measured on an H100 (bench/cuda/results/run3-h100-micro.jsonl): one row per warp is fastest for every
  // shape of the bench models except the vocabulary projections with short rows (K < 2048), where 2 win.
  return nOut >= 65536 && k < 2048 ? 2 : 1;
}

/** Launch of the v3 q4 GEMV (native/cuda/nx_cuda_gemv.cuh); glu: 0 plain, 1 silu, 2 gelu-tanh. */
function q4hGemv(nOut: number, k: number, scaleKind: string, biasKind: string, glu: 0 | 1 | 2, args: string): string {
  const r = gemvQ4hRowsPerWarp(nOut, k);
  return pdlLaunch(`nx_gemv_q4h<${nOut}, ${k}, ${scaleKind}, ${biasKind}, ${r}, ${glu}>`, `${Math.ceil(nOut / (8 * r))}`, '256', args);
}

/**
 * A launch with programmatic dependent launch (second-generation kernels, which call nx_grid_dependency_wait first;
 * see nx_cuda.h):
 * the kernel's blocks may be scheduled while the previous kernel finishes.
 */
function pdlLaunch(kernel: string, grid: string, block: string, args: string): string {
  return `nx_launch_pdl(${kernel}, dim3(${grid}), dim3(${block}), stream, ${args});`;
}

const BYTES: Record<string, number> = { f32: 4, f16: 2, bf16: 2, u32: 4, i32: 4, i64: 8, bool: 1 };
const STORAGE_KIND: Partial<Record<DType, string>> = { f32: 'NX_F32', f16: 'NX_F16', bf16: 'NX_BF16' };

function hostExpr(e: Expr): string {
  switch (e.k) {
    case 'const':
      return renderConst(e.v, e.t);
    case 'var':
      return e.name === 'pos' ? 'st->pos' : e.name;
    case 'bin':
      if (e.op === 'max' || e.op === 'min') return `nx_${e.op}(${hostExpr(e.a)}, ${hostExpr(e.b)})`;
      return `(${hostExpr(e.a)} ${e.op} ${hostExpr(e.b)})`;
    default:
      throw new Error(`plan scalar expressions are arithmetic over n/pos/cap/rows/first, got ${e.k}`);
  }
}

/** Scalar arguments: `pos` must be the plain variable (it is a device pointer). */
function scalarArg(e: Expr): string {
  if (e.k === 'var' && e.name === 'pos') return 'st->pos';
  if (exprUsesPos(e)) throw new Error('the cuda target needs plan scalars that use pos to be exactly `pos`');
  return `(int32_t)(${hostExpr(e)})`;
}

function exprUsesPos(e: Expr): boolean {
  if (e.k === 'var') return e.name === 'pos';
  if (e.k === 'bin') return exprUsesPos(e.a) || exprUsesPos(e.b);
  return false;
}

interface MatmulMatch {
  q: QuantScheme;
  n: number;
  k: number;
  bias: boolean;
  embedding: boolean;
}

/** Which quantised-weight access a matmul uses: 0 dense, 1 group NK, 2 group KN. */
function weightKind(m: MatmulMatch): 0 | 1 | 2 {
  if (m.q.kind === 'none' || (m.embedding && !m.q.quantizeEmbedding)) return 0;
  return m.q.layout === 'KN' && !m.embedding ? 2 : 1;
}

function matchMatmul(name: string): MatmulMatch | null {
  const m = /^(?:matmul|gemv)_.*_n(\d+)_k(\d+)$/.exec(name);
  if (!m) return null;
  const n = Number(m[1]);
  const k = Number(m[2]);
  for (const q of Object.values(QUANT_SCHEMES)) {
    for (const embedding of [false, true]) {
      for (const bias of [false, true]) {
        const spec = { q, n, k, bias, embedding };
        if (matmulKernelName(spec) === name || gemvKernelName(spec) === name) return spec;
      }
    }
  }
  return null;
}

function kernelHasLocal(ss: Kernel['body']): boolean {
  return ss.some((s) => s.k === 'local' || (s.k === 'for' && kernelHasLocal(s.body)) || (s.k === 'if' && (kernelHasLocal(s.then) || kernelHasLocal(s.else ?? []))));
}

export function renderLibraryCuda(plan: Plan, info: CudaLibraryInfo, opts: CudaRenderOptions = { fastPaths: true }): { source: string; kernels: Map<string, string> } {
  const { dims } = info;
  const kernels = new Map<string, string>();
  const rendered = new Map<string, string>();
  for (const k of planKernels(plan)) {
    const r = renderKernelCuda(k);
    rendered.set(k.name, r.source + r.launcher);
  }
  // Only kernels some step launches generically are emitted (fast paths replace the others).
  const usedGeneric = new Set<string>();
  let mmXhWidth = 0; // widest K of the nx_mm_q4 / nx_mm_f16 launches: their f16 activation workspace
  const paramIndex = new Map(plan.params.map((p, i) => [p.name, i]));
  const scratchIndex = new Map(plan.scratch.map((s, i) => [s.name, i]));

  const bufArg = (ref: BufRef, t: string): string => {
    switch (ref.k) {
      case 'param': {
        const i = paramIndex.get(ref.name);
        if (i === undefined) throw new Error(`plan references undeclared param ${ref.name}`);
        return `(${t}*)st->params[${i}]`;
      }
      case 'scratch': {
        const i = scratchIndex.get(ref.name)!;
        return ref.offset ? `(st->scratch[${i}] + ${hostExpr(ref.offset)})` : `st->scratch[${i}]`;
      }
      case 'kv':
        return `(st->kv + (int64_t)${plan.kv.kvHeads * plan.kv.headDim} * cap * ${2 * ref.layer + (ref.which === 'v' ? 1 : 0)})`;
      case 'tokens':
        return `(${t}*)st->tokens`;
      case 'logits':
        return 'st->logits';
      case 'table':
        return `(${t}*)nx_table_${ref.name}()`;
    }
  };
  const typedArg = (s: Step, kernel: Kernel, i: number) => {
    const b = kernel.buffers[i];
    return bufArg(s.bufs[i], `${b.access === 'in' ? 'const ' : ''}${CUDA_TYPE[b.t]}`);
  };
  const genericCall = (s: Step, kernel: Kernel, withScalars: boolean) => {
    const bufs = kernel.buffers.map((_, i) => typedArg(s, kernel, i));
    const scalars = withScalars ? s.scalars.map(scalarArg) : [];
    usedGeneric.add(kernel.name);
    return `${launcherName(kernel)}(${['stream', ...bufs, ...scalars].join(', ')});`;
  };
  const sameRef = (a: BufRef, b: BufRef) => JSON.stringify(a) === JSON.stringify(b);

  /** Fast launch of a matmul step (both the n-row product and its single-row decode variant). */
  const fastMatmul = (s: Step): string[] | null => {
    const m = matchMatmul(s.kernel.name);
    if (!m) return null;
    const wk = weightKind(m);
    const q = m.q;
    const bits = q.kind === 'group' && wk !== 0 ? q.bits : 0;
    const group = q.kind === 'group' && wk !== 0 ? q.groupSize : 1;
    const scaleKind = STORAGE_KIND[q.modelDtype];
    const biasKind = m.bias ? STORAGE_KIND[q.modelDtype] : '-1';
    if (!scaleKind || !biasKind) return null;
    const x = typedArg(s, s.kernel, 0);
    const w = `(const void*)${bufArg(s.bufs[1], 'const void')}`;
    const sc = wk === 0 ? 'nullptr' : `(const void*)${bufArg(s.bufs[2], 'const void')}`;
    const bi = wk === 0 ? 1 : 2;
    const bias = m.bias ? `(const void*)${bufArg(s.bufs[bi + 1], 'const void')}` : 'nullptr';
    const y = bufArg(s.bufs[s.bufs.length - 1], 'float');
    const rows = `(int32_t)(${hostExpr(s.scalars[0])})`;
    const N = m.n;
    const K = m.k;
    // 4-bit group-32 NK weights: the second generation's GEMV and prefill matmul.
    const q4v2 = opts.v2 && wk === 1 && bits === 4 && group === 32 && K % 32 === 0;
    let gemv: string;
    if (q4v2 && K <= GEMV_Q4H_MAX_K) {
      gemv = q4hGemv(N, K, scaleKind, biasKind, 0, `${x}, (const uint32_t*)${w}, ${sc}, ${bias}, ${y}`);
    } else if (q4v2) {
      const R = gemvRowsPerWarp(N);
      gemv = `nx_gemv_q4nk_r<${N}, ${K}, ${scaleKind}, ${biasKind}, ${R}, 0><<<${Math.ceil(N / (4 * R))}, 128, 0, stream>>>(${x}, (const uint32_t*)${w}, ${sc}, ${bias}, ${y});`;
    } else if (wk === 0) gemv = `nx_gemv_dense<${N}, ${K}, ${scaleKind}, ${biasKind}><<<${Math.ceil(N / 4)}, 128, 0, stream>>>(${x}, ${w}, ${bias}, ${y});`;
    else if (wk === 1) gemv = `nx_gemv_qnk<${N}, ${K}, ${bits}, ${group}, ${scaleKind}, ${biasKind}><<<${Math.ceil(N / 4)}, 128, 0, stream>>>(${x}, (const uint32_t*)${w}, ${sc}, ${bias}, ${y});`;
    else gemv = `nx_gemv_qkn<${N}, ${K}, ${bits}, ${group}, ${scaleKind}, ${biasKind}><<<${Math.ceil(N / 32)}, dim3(32, 8), 0, stream>>>(${x}, (const uint32_t*)${w}, ${sc}, ${bias}, ${y});`;
    const f16mm = opts.v2 && wk === 0 && q.modelDtype === 'f16' && K % 8 === 0;
    if (q4v2 || f16mm) mmXhWidth = Math.max(mmXhWidth, K);
    const mm = q4v2
      ? `nx_mm_q4_launch<${N}, ${K}, ${scaleKind}, ${biasKind}>(${x}, (const uint32_t*)${w}, ${sc}, ${bias}, ${y}, M, st->mm_xh, stream);`
      : f16mm
      ? `nx_mm_f16_launch<${N}, ${K}, NX_F16, ${biasKind}>(${x}, ${w}, ${bias}, ${y}, M, st->mm_xh, stream);`
      : opts.v2
      ? `nx_mm_tc2<${wk}, ${N}, ${K}, ${bits}, ${group}, ${scaleKind}, ${biasKind}><<<dim3(${Math.ceil(N / 128)}, (unsigned)((M + 127) / 128)), 256, 0, stream>>>(${x}, ${w}, ${sc}, ${bias}, ${y}, M);`
      : `nx_mm_tc<${wk}, ${N}, ${K}, ${bits}, ${group}, ${scaleKind}, ${biasKind}><<<dim3(${Math.ceil(N / 64)}, (unsigned)((M + 63) / 64)), 128, 0, stream>>>(${x}, ${w}, ${sc}, ${bias}, ${y}, M);`;
    return [`  { const int32_t M = ${rows};`, `    if (M == 1) ${gemv}`, `    else if (M > 1) ${mm} }`];
  };

  const fastAttention = (s: Step): string[] | null => {
    const m = /^attention_hq(\d+)_hkv(\d+)_d(\d+)(?:_w(\d+))?(?:_cap(.+))?$/.exec(s.kernel.name);
    if (!m) return null;
    const spec = { hq: Number(m[1]), hkv: Number(m[2]), d: Number(m[3]), scale: dims.attnScale, window: m[4] ? Number(m[4]) : 0, softcap: m[5] ? Number(m[5]) : 0 };
    if (attentionKernelName(spec) !== s.kernel.name || spec.hq % spec.hkv !== 0) return null;
    const [qkv, kc, vc, out] = [0, 1, 2, 3].map((i) => typedArg(s, s.kernel, i));
    const n = `(int32_t)(${hostExpr(s.scalars[0])})`;
    const tmpl = `${spec.hq}, ${spec.hkv}, ${spec.d}, ${spec.window}, ${spec.softcap ? 'true' : 'false'}`;
    if (opts.v2) {
      // Decode through nx_attn_decode (GQA group per block, combine fused), prompts through the tensor-core
      // flash attention of nx_cuda_attn_prefill.cuh (which falls back to nx_attn for shapes it does not cover).
      return [
        `  { const int32_t nq = ${n};`,
        `    if (nq == 1) ${pdlLaunch(`nx_attn_decode<${tmpl}>`, `${spec.hkv}, st->attn_splits`, '128', `${qkv}, ${kc}, ${vc}, ${out}, st->attn_ws, st->attn_cnt, st->pos, cap, ${renderConst(spec.scale, 'f32')}, ${renderConst(spec.softcap || 1, 'f32')}`)}`,
        `    else nx_attn_prefill_launch<${tmpl}>(${qkv}, ${kc}, ${vc}, ${out}, st->pos, nq, cap, ${renderConst(spec.scale, 'f32')}, ${renderConst(spec.softcap || 1, 'f32')}, st->attn_ws, stream); }`,
      ];
    }
    return [
      `  { const int32_t nq = ${n};`,
      `    const int32_t splits = nq == 1 ? st->attn_splits : 1;`,
      `    nx_attn<${tmpl}><<<dim3(nq * ${spec.hq}, splits), 32, 0, stream>>>(${qkv}, ${kc}, ${vc}, ${out}, st->attn_ws, st->pos, cap, splits, ${renderConst(spec.scale, 'f32')}, ${renderConst(spec.softcap || 1, 'f32')});`,
      `    if (splits > 1) nx_attn_combine<${spec.d}><<<nq * ${spec.hq}, 32, 0, stream>>>(st->attn_ws, ${out}, splits); }`,
    ];
  };

  const normMatch = (s: Step): { dim: number; wt: DType } | null => {
    const m = /^rms_norm_(f32|f16|bf16)_d(\d+)$/.exec(s.kernel.name);
    if (!m) return null;
    const spec = { dim: Number(m[2]), wt: m[1] as DType };
    return rmsNormKernelName(spec.dim, spec.wt) === s.kernel.name ? spec : null;
  };
  const eps = renderConst(dims.eps, 'f32');

  const body: string[] = [];
  let inTail = false;
  for (let i = 0; i < plan.steps.length; i++) {
    const s = plan.steps[i];
    const usesRows = s.scalars.some((e) => e.k === 'var' && e.name === 'rows');
    if (usesRows && !inTail) {
      body.push('  if (rows <= 0) return;');
      inTail = true;
    }
    if (opts.fastPaths) {
      // Residual add fused into the RMSNorm that reads its result.
      const next = plan.steps[i + 1];
      const nm = next ? normMatch(next) : null;
      if (/^residual_add_d\d+$/.test(s.kernel.name) && nm && next && sameRef(s.bufs[0], next.bufs[0]) && `residual_add_d${nm.dim}` === s.kernel.name &&
        JSON.stringify(s.scalars) === JSON.stringify(next.scalars)) {
        const x = typedArg(s, s.kernel, 0).replace(/^\(const float\*\)/, '');
        const kernel = `nx_add_rmsnorm<${nm.dim}, ${STORAGE_KIND[nm.wt]}>`;
        const args = `${x}, ${typedArg(s, s.kernel, 1)}, ${typedArg(next, next.kernel, 1)}, ${typedArg(next, next.kernel, 2)}, ${eps}`;
        const launch = opts.v2 ? pdlLaunch(kernel, 'r', `nx_norm_threads(${nm.dim})`, args) : `${kernel}<<<r, nx_norm_threads(${nm.dim}), 0, stream>>>(${args});`;
        body.push(`  { const int32_t r = (int32_t)(${hostExpr(s.scalars[0])}); if (r > 0) ${launch} }`);
        i++;
        continue;
      }
      // RoPE + KV append in one launch (second generation).
      const rope = opts.v2 ? /^rope_hq(\d+)_hkv(\d+)_d(\d+)_r(\d+)$/.exec(s.kernel.name) : null;
      if (rope && next && next.kernel.name === `kv_append_hq${rope[1]}_hkv${rope[2]}_d${rope[3]}` && sameRef(s.bufs[0], next.bufs[0]) &&
        Number(rope[3]) % 2 === 0 && Number(rope[4]) % 2 === 0) {
        const [hq, hkv, d, rd] = rope.slice(1, 5).map(Number);
        body.push(`  { const int32_t nt = (int32_t)(${hostExpr(s.scalars[0])}); const int64_t total = (int64_t)nt * ${(hq + 2 * hkv) * (d / 2)};`);
        body.push(`    if (total > 0) ${pdlLaunch(`nx_rope_append<${hq}, ${hkv}, ${d}, ${rd}>`, 'nx_grid(total, 256)', '256', `${typedArg(s, s.kernel, 0)}, ${typedArg(s, s.kernel, 1)}, ${typedArg(next, next.kernel, 1)}, ${typedArg(next, next.kernel, 2)}, nt, st->pos, cap`)} }`);
        i++;
        continue;
      }
      const nrm = normMatch(s);
      if (nrm) {
        const kernel = `nx_rmsnorm<${nrm.dim}, ${STORAGE_KIND[nrm.wt]}>`;
        const args = `${typedArg(s, s.kernel, 0)}, ${typedArg(s, s.kernel, 1)}, ${typedArg(s, s.kernel, 2)}, ${eps}`;
        const launch = opts.v2 ? pdlLaunch(kernel, 'r', `nx_norm_threads(${nrm.dim})`, args) : `${kernel}<<<r, nx_norm_threads(${nrm.dim}), 0, stream>>>(${args});`;
        body.push(`  { const int32_t r = (int32_t)(${hostExpr(s.scalars[0])}); if (r > 0) ${launch} }`);
        continue;
      }
      // gate_up projection + gated activation: one GEMV for decode, unchanged for prefill.
      const act = next ? /^gated_(silu|gelu_tanh)_i(\d+)$/.exec(next.kernel.name) : null;
      const mm = act ? matchMatmul(s.kernel.name) : null;
      if (act && next && mm && !mm.bias && weightKind(mm) === 1 && mm.n === 2 * Number(act[2]) && sameRef(s.bufs[s.bufs.length - 1], next.bufs[0]) &&
        STORAGE_KIND[mm.q.modelDtype] && mm.q.kind === 'group') {
        const prefill = fastMatmul(s)!;
        const x = typedArg(s, s.kernel, 0);
        const I = Number(act[2]);
        const R = gemvRowsPerWarp(I);
        const q4 = opts.v2 && mm.q.bits === 4 && mm.q.groupSize === 32 && mm.k % 32 === 0;
        const gluKind = act[1] === 'silu' ? 1 : 2;
        const glu = q4 && mm.k <= GEMV_Q4H_MAX_K
          ? q4hGemv(I, mm.k, STORAGE_KIND[mm.q.modelDtype]!, '-1', gluKind, `${x}, (const uint32_t*)${bufArg(s.bufs[1], 'const void')}, ${bufArg(s.bufs[2], 'const void')}, nullptr, ${typedArg(next, next.kernel, 1)}`)
          : q4
          ? `nx_gemv_q4nk_r<${I}, ${mm.k}, ${STORAGE_KIND[mm.q.modelDtype]}, -1, ${R}, ${act[1] === 'silu' ? 1 : 2}><<<${Math.ceil(I / (4 * R))}, 128, 0, stream>>>(${x}, (const uint32_t*)${bufArg(s.bufs[1], 'const void')}, ${bufArg(s.bufs[2], 'const void')}, nullptr, ${typedArg(next, next.kernel, 1)});`
          : `nx_gemv_qnk_glu<${act[2]}, ${mm.k}, ${mm.q.bits}, ${mm.q.groupSize}, ${STORAGE_KIND[mm.q.modelDtype]}, ${act[1] === 'silu' ? 0 : 1}><<<${Math.ceil(Number(act[2]) / 4)}, 128, 0, stream>>>(${x}, (const uint32_t*)${bufArg(s.bufs[1], 'const void')}, ${bufArg(s.bufs[2], 'const void')}, ${typedArg(next, next.kernel, 1)});`;
        body.push(`  if ((int32_t)(${hostExpr(s.scalars[0])}) == 1) ${glu}`);
        body.push('  else {', ...prefill.map((l) => `  ${l}`), `    ${genericCall(next, next.kernel, true)}`, '  }');
        i++;
        continue;
      }
      const fast = fastMatmul(s) ?? fastAttention(s);
      if (fast) {
        body.push(...fast);
        continue;
      }
    }
    if (s.single) {
      body.push(`  if (${hostExpr(s.scalars[0])} == 1) ${genericCall(s, s.single, false)}`);
      body.push(`  else ${genericCall(s, s.kernel, true)}`);
    } else body.push(`  ${genericCall(s, s.kernel, true)}`);
  }

  const generic: string[] = [];
  for (const [name, src] of rendered) {
    if (!usedGeneric.has(name)) continue;
    generic.push(src);
    kernels.set(name, src);
  }
  const needsHeap = planKernels(plan).some((k) => usedGeneric.has(k.name) && kernelHasLocal(k.body));
  const paramsTable = plan.params.map((p) => {
    const shape = [...p.shape, 0, 0, 0, 0].slice(0, 4).join(', ');
    const nbytes = p.shape.reduce((a, b) => a * b, 1) * BYTES[p.dtype];
    return `  {"${p.name}", "${TVM_DTYPE[p.dtype]}", ${p.shape.length}, {${shape}}, ${nbytes}},`;
  });
  // Constant tables live in device memory; the forward takes their addresses once.
  const tables = plan.tables.flatMap((t) => [
    `__device__ const float T_${t.name}[] = {${t.values.map((x) => renderConst(x, 'f32')).join(', ')}};`,
    `static const float *nx_table_${t.name}() {`,
    '  static const float *p = nullptr;',
    `  if (!p) cudaGetSymbolAddress((void **)&p, T_${t.name});`,
    '  return p;',
    '}',
  ]);
  if (info.metadataJson.includes(')NXJSON"')) throw new Error('metadata contains the raw-string delimiter');

  const source = [
    '// Generated by nx-mlc (core/compiler, cuda target): kernels and plan of one model specialisation. Do not edit.',
    '#include "nx_cuda.h"',
    '#include "nx_cuda_kernels.cuh"',
    '#include "nx_cuda_mm.cuh"',
    '#include "nx_cuda_attn_prefill.cuh"',
    '',
    ...tables,
    '',
    ...generic,
    `static const nx_param_spec kParams[] = {\n${paramsTable.join('\n')}\n};`,
    `static const int64_t kScratch[] = {${plan.scratch.map((s) => s.width).join(', ')}};`,
    `static const char kMetadata[] = R"NXJSON(${info.metadataJson})NXJSON";`,
    '',
    'static void nx_forward(nx_cuda_state *st, int32_t n, int32_t first, int32_t rows) {',
    '  cudaStream_t stream = st->stream;',
    '  const int32_t cap = st->cap;',
    '  (void)first; (void)cap; (void)n;',
    ...body,
    '}',
    '',
    'static const nx_cuda_model_def kModel = {',
    `  kMetadata, ${plan.params.length}, kParams, ${plan.scratch.length}, kScratch,`,
    `  ${dims.vocab}, ${dims.contextWindow}, ${dims.prefillChunk},`,
    `  ${plan.kv.layers}, ${plan.kv.kvHeads}, ${plan.kv.headDim},`,
    `  ${dims.heads}, ${needsHeap ? 256 : 0},`,
    '  nx_forward,',
    `  ${mmXhWidth},`,
    '};',
    '',
    'const nx_cuda_model_def *nx_cuda_model_definition(void) { return &kModel; }',
    '',
  ].join('\n');
  return { source, kernels };
}
