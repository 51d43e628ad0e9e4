/**
 * Kernel IR -> CUDA C++ for the cuda target: the generic path every kernel has (fast paths for the hot
 * kernels live in library-cuda.ts and native/cuda/nx_cuda_kernels.cuh).
 *
 * How the sequential IR becomes a grid:
 * - the top-level loop of a kernel and the loops perfectly nested in it are collapsed into one flat index
 *   space, one GPU thread per point (grid-stride). Every IR kernel in lower/kernels writes disjoint outputs
 *   per iteration of its outer loops (that is what the cpu renderer's `parallel` hint also relies on);
 *   `let`s between nested loops are recomputed per thread when they are cheap (no reduction) and read only
 *   buffers the nest never writes, otherwise the collapse stops there and the rest runs sequentially per thread;
 * - loop bounds of the collapsed nest must be computable on the host (kernel scalars other than `pos`),
 *   because they size the launch;
 * - `pos` is passed as a device pointer (`pos_ptr`) so a CUDA graph captured once serves every decode step;
 * - `local` scratch arrays come from the device heap (malloc/free per thread), which only the generic path
 *   of kernels without a fast path pays for.
 */
import type { DType, Expr, Kernel, Stmt } from '../ir/ir';
import { hasReduce, loadedBuffers, storedBuffers } from '../ir/walk';
import { renderConst } from './cpp';

export const CUDA_TYPE: Record<DType, string> = {
  f32: 'float', f16: 'uint16_t', bf16: 'uint16_t', u32: 'uint32_t', i32: 'int32_t', i64: 'int64_t', bool: 'bool',
};
/** Index math is 64-bit so that [layers][heads][cap][dim] offsets never overflow. */
const VAR_TYPE: Record<DType, string> = { ...CUDA_TYPE, i32: 'int64_t' };

const BIN_INFIX: Partial<Record<string, string>> = {
  '+': '+', '-': '-', '*': '*', '/': '/', '%': '%', '<': '<', '<=': '<=', '>': '>', '>=': '>=', '==': '==', '!=': '!=',
  '&&': '&&', '||': '||', '&': '&', '|': '|', '>>': '>>', '<<': '<<',
};
const UN_FN: Record<string, string> = {
  neg: '-', exp: 'expf', sqrt: 'sqrtf', tanh: 'tanhf', abs: 'fabsf', log: 'logf', cos: 'cosf', sin: 'sinf', floor: 'floorf',
};

export const GENERIC_BLOCK = 256;

/** Variables an expression reads. */
export function exprVars(e: Expr, out = new Set<string>()): Set<string> {
  switch (e.k) {
    case 'var':
      out.add(e.name);
      break;
    case 'load':
      exprVars(e.idx, out);
      break;
    case 'bin':
      exprVars(e.a, out);
      exprVars(e.b, out);
      break;
    case 'un':
    case 'cast':
      exprVars(e.a, out);
      break;
    case 'select':
      exprVars(e.c, out);
      exprVars(e.a, out);
      exprVars(e.b, out);
      break;
    case 'reduce': {
      const inner = new Set<string>();
      exprVars(e.lo, out);
      exprVars(e.hi, out);
      exprVars(e.body, inner);
      inner.delete(e.v);
      for (const x of inner) out.add(x);
      break;
    }
    default:
      break;
  }
  return out;
}




class CudaWriter {
  private lines: string[] = [];
  private tmp = 0;
  constructor(public depth = 1) {}

  line(s: string): void {
    this.lines.push(`${'  '.repeat(this.depth)}${s}`);
  }
  text(): string {
    return this.lines.join('\n');
  }

  expr(e: Expr): string {
    switch (e.k) {
      case 'const':
        return renderConst(e.v, e.t);
      case 'var':
        return e.name;
      case 'load':
        return `${e.buf}[${this.expr(e.idx)}]`;
      case 'bin': {
        const a = this.expr(e.a);
        const b = this.expr(e.b);
        if (e.op === 'max') return `nx_max(${a}, ${b})`;
        if (e.op === 'min') return `nx_min(${a}, ${b})`;
        return `(${a} ${BIN_INFIX[e.op]} ${b})`;
      }
      case 'un':
        return e.op === 'neg' ? `(-${this.expr(e.a)})` : `${UN_FN[e.op]}(${this.expr(e.a)})`;
      case 'cast': {
        const a = this.expr(e.a);
        if (e.t === 'f32' && e.a.t === 'f16') return `nx_h2f(${a})`;
        if (e.t === 'f32' && e.a.t === 'bf16') return `nx_bf2f(${a})`;
        return `((${CUDA_TYPE[e.t]})(${a}))`;
      }
      case 'select':
        return `(${this.expr(e.c)} ? ${this.expr(e.a)} : ${this.expr(e.b)})`;
      case 'reduce': {
        const r = `r${this.tmp++}`;
        const ct = VAR_TYPE[e.t];
        const init = e.op === 'sum' ? renderConst(0, e.t) : e.t === 'f32' ? '(-INFINITY)' : 'INT64_MIN';
        this.line(`${ct} ${r} = ${init};`);
        this.line(`for (int64_t ${e.v} = ${this.expr(e.lo)}; ${e.v} < ${this.expr(e.hi)}; ++${e.v}) {`);
        this.depth++;
        const body = this.expr(e.body);
        this.line(e.op === 'sum' ? `${r} = ${r} + ${body};` : `${r} = nx_max(${r}, ${body});`);
        this.depth--;
        this.line('}');
        return r;
      }
    }
  }

  /** A statement list as one scope: device-heap scratch declared in it is freed at its end. */
  block(ss: Stmt[]): void {
    const locals: string[] = [];
    for (const s of ss) this.stmt(s, locals);
    for (const name of locals.reverse()) this.line(`free(${name});`);
  }

  stmt(s: Stmt, locals: string[]): void {
    switch (s.k) {
      case 'let':
        this.line(`${VAR_TYPE[s.t]} ${s.name} = ${this.expr(s.init)};`);
        return;
      case 'assign':
        this.line(`${s.name} = ${this.expr(s.value)};`);
        return;
      case 'store':
        this.line(`${s.buf}[${this.expr(s.idx)}] = ${this.expr(s.value)};`);
        return;
      case 'local': {
        const ct = CUDA_TYPE[s.t];
        this.line(`${ct}* ${s.name} = (${ct}*)malloc(sizeof(${ct}) * (size_t)nx_max((int64_t)1, (int64_t)(${this.expr(s.size)})));`);
        this.line(`if (!${s.name}) __trap();`);
        locals.push(s.name);
        return;
      }
      case 'if':
        this.line(`if (${this.expr(s.cond)}) {`);
        this.depth++;
        this.block(s.then);
        this.depth--;
        if (s.else) {
          this.line('} else {');
          this.depth++;
          this.block(s.else);
          this.depth--;
        }
        this.line('}');
        return;
      case 'for':
        this.line(`for (int64_t ${s.v} = ${this.expr(s.lo)}; ${s.v} < ${this.expr(s.hi)}; ++${s.v}) {`);
        this.depth++;
        this.block(s.body);
        this.depth--;
        this.line('}');
        return;
    }
  }
}

interface Dim {
  v: string;
  lo: Expr;
  hi: Expr;
}

/** One launch: a collapsed loop nest (dims) over a body, with the lets that precede it replicated per thread. */
interface LaunchPart {
  dims: Dim[];
  lets: Stmt[];
  body: Stmt[];
}

/**
 * Collapse the nest starting at `s`: each further level is taken if the body is `let*; for` with cheap lets
 * that read nothing the nest writes, and the inner bounds are host-computable.
 */
function collapse(s: Extract<Stmt, { k: 'for' }>, hostVars: Set<string>): LaunchPart {
  const dims: Dim[] = [{ v: s.v, lo: s.lo, hi: s.hi }];
  const lets: Stmt[] = [];
  const written = storedBuffers([s]);
  let body = s.body;
  for (;;) {
    const last = body[body.length - 1];
    if (!last || last.k !== 'for') break;
    const pre = body.slice(0, -1);
    const cheap = pre.every((p) => p.k === 'let' && !hasReduce(p.init) && [...loadedBuffers(p.init)].every((b) => !written.has(b)));
    const bounds = [...exprVars(last.lo), ...exprVars(last.hi)].every((x) => hostVars.has(x));
    if (!cheap || !bounds) break;
    lets.push(...pre);
    dims.push({ v: last.v, lo: last.lo, hi: last.hi });
    body = last.body;
  }
  return { dims, lets, body };
}

export interface RenderedCudaKernel {
  /** __global__ functions and the host launcher `L_<name>(stream, buffers..., scalars...)`. */
  source: string;
  launcher: string;
}

/** Parameter list of the launcher, in IR order: stream, buffers, scalars (`pos` as a device pointer). */
function launcherParams(k: Kernel): string[] {
  const bufs = k.buffers.map((b) => `${b.access === 'in' ? 'const ' : ''}${CUDA_TYPE[b.t]}* ${b.name}`);
  const scalars = k.scalars.map((s) => (s.name === 'pos' ? 'const int32_t* pos_ptr' : `int32_t ${s.name}`));
  return [...bufs, ...scalars];
}

export function launcherName(k: Kernel): string {
  return `L_${k.name}`;
}

export function renderKernelCuda(k: Kernel): RenderedCudaKernel {
  const params = launcherParams(k);
  const args = [...k.buffers.map((b) => b.name), ...k.scalars.map((s) => (s.name === 'pos' ? 'pos_ptr' : s.name))];
  const hostVars = new Set(k.scalars.map((s) => s.name).filter((n) => n !== 'pos'));
  const usesPos = k.scalars.some((s) => s.name === 'pos');

  const globals: string[] = [];
  const launches: string[] = [];
  const topLets: Stmt[] = [];
  let part = 0;
  const hw = new CudaWriter(1);

  for (const s of k.body) {
    if (s.k === 'let' && !hasReduce(s.init)) {
      topLets.push(s);
      continue;
    }
    const fname = `K_${k.name}_${part++}`;
    const w = new CudaWriter(1);
    if (usesPos) w.line('const int64_t pos = *pos_ptr;');
    for (const l of topLets) w.stmt(l, []);
    const topVars = new Set(topLets.map((l) => (l.k === 'let' ? l.name : '')));
    const parallel = s.k === 'for' && [...exprVars(s.lo), ...exprVars(s.hi)].every((x) => hostVars.has(x) && !topVars.has(x));
    if (parallel) {
      const lp = collapse(s as Extract<Stmt, { k: 'for' }>, hostVars);
      const extent = (d: Dim, ww: CudaWriter) => `nx_max((int64_t)0, (int64_t)(${ww.expr(d.hi)}) - (int64_t)(${ww.expr(d.lo)}))`;
      lp.dims.forEach((d, i) => w.line(`const int64_t e${i} = ${extent(d, w)};`));
      w.line(`const int64_t total = ${lp.dims.map((_, i) => `e${i}`).join(' * ')};`);
      w.line('for (int64_t gid = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; gid < total; gid += (int64_t)gridDim.x * blockDim.x) {');
      w.depth++;
      w.line('int64_t rem = gid;');
      for (let i = lp.dims.length - 1; i >= 0; i--) {
        const d = lp.dims[i];
        w.line(`const int64_t ${d.v} = (int64_t)(${w.expr(d.lo)}) + rem % e${i};`);
        if (i > 0) w.line(`rem /= e${i};`);
      }
      w.line('(void)rem;');
      w.block([...lp.lets, ...lp.body]);
      w.depth--;
      w.line('}');
      // Host side: the same extents from the scalars.
      const total = lp.dims.map((d) => `nx_max((int64_t)0, (int64_t)(${hw.expr(d.hi)}) - (int64_t)(${hw.expr(d.lo)}))`).join(' * ');
      launches.push(`  { const int64_t total = ${total};`);
      launches.push(`    if (total > 0) ${fname}<<<nx_grid(total, ${GENERIC_BLOCK}), ${GENERIC_BLOCK}, 0, stream>>>(${args.join(', ')}); }`);
    } else {
      w.line('if (blockIdx.x != 0 || threadIdx.x != 0) return;');
      w.block([s]);
      launches.push(`  ${fname}<<<1, 1, 0, stream>>>(${args.join(', ')});`);
    }
    globals.push(`static __global__ void ${fname}(${params.join(', ')}) {\n${w.text()}\n}\n`);
  }
  const launcher = `static void ${launcherName(k)}(${['cudaStream_t stream', ...params].join(', ')}) {\n${launches.join('\n')}\n}\n`;
  return { source: globals.join('\n'), launcher };
}
