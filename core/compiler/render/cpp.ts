/**
 * Kernel IR -> C++17 for the cpu target. A thin table of spellings plus one walk over the tree:
 * - `parallel` loops become a lambda handed to the runtime's persistent thread pool (nx_parallel_for);
 * - a `vec` hint on a sum becomes W independent partial accumulators over contiguous lanes, the shape
 *   g++ turns into AVX2/AVX-512 FMAs at -O3 without -ffast-math (each lane's order stays fixed, so the
 *   result is deterministic and identical across thread counts);
 * - `local` scratch is thread-local and reused between calls (no allocation on the hot path).
 * The runtime header (native/cpu/nx_kernel.h) supplies nx_h2f / nx_bf2f / nx_max / nx_parallel_for.
 */
import type { DType, Expr, Intrinsic, Kernel, Stmt } from '../ir/ir';

const C_TYPE: Record<DType, string> = {
  f32: 'float', f16: 'uint16_t', bf16: 'uint16_t', u32: 'uint32_t', i32: 'int32_t', i64: 'int64_t', bool: 'bool',
};
/** Scalars the kernel computes with: ints are widened to 64 bits so index math never overflows. */
const VAR_TYPE: Record<DType, string> = { ...C_TYPE, i32: 'int64_t' };

const BIN_INFIX: Partial<Record<string, string>> = {
  '+': '+', '-': '-', '*': '*', '/': '/', '%': '%', '<': '<', '<=': '<=', '>': '>', '>=': '>=', '==': '==', '!=': '!=',
  '&&': '&&', '||': '||', '&': '&', '|': '|', '>>': '>>', '<<': '<<',
};
const UN_FN: Record<string, string> = {
  neg: '-', exp: 'expf', sqrt: 'sqrtf', tanh: 'tanhf', abs: 'fabsf', log: 'logf', cos: 'cosf', sin: 'sinf', floor: 'floorf',
};

export interface CppRenderOptions {
  /** Honour `parallel` hints (false renders plain loops: the O0 level and single-kernel debugging). */
  parallel: boolean;
  /** Honour `vec` hints on reductions. */
  vectorize: boolean;
}

export const DEFAULT_CPP_OPTIONS: CppRenderOptions = { parallel: true, vectorize: true };

export function renderConst(v: number, t: DType): string {
  if (t === 'f32') {
    if (v === Infinity) return 'INFINITY';
    if (v === -Infinity) return '(-INFINITY)';
    const s = Math.fround(v).toPrecision(9);
    return `${s.includes('e') || s.includes('.') ? s : `${s}.0`}f`;
  }
  if (t === 'u32') return `${v >>> 0}u`;
  if (t === 'bool') return v ? 'true' : 'false';
  if (t === 'i64') return `INT64_C(${v})`;
  return String(v);
}

/**
 * Inside a loop split into (v_0 += W; v_l < W) lanes, `v / d` with d a multiple of W is lane-invariant
 * (v_0 / d) and `v % W` is the lane (v_l): the rewrite that lets g++ see a packed word or a group scale
 * as one broadcast value and the bit offset as a per-lane shift, so fused dequantisation vectorises.
 */
interface LaneSplit {
  v: string;
  w: number;
}

function constOf(e: Expr): number | undefined {
  return e.k === 'const' ? e.v : undefined;
}

class CppWriter {
  private lines: string[] = [];
  private tmp = 0;
  private lanes: LaneSplit[] = [];
  constructor(private readonly opts: CppRenderOptions, private depth = 1) {}

  private laneRewrite(e: Extract<Expr, { k: 'bin' }>): string | undefined {
    if (e.a.k !== 'var' || (e.op !== '/' && e.op !== '%')) return undefined;
    const name = e.a.name;
    const split = this.lanes.find((l) => l.v === name);
    const d = constOf(e.b);
    if (!split || d === undefined || d % split.w !== 0) return undefined;
    if (e.op === '/') return `(${name}_0 / ${d})`;
    return d === split.w ? `${name}_l` : `((${name}_0 % ${d}) + ${name}_l)`;
  }

  line(s: string): void {
    this.lines.push(`${'  '.repeat(this.depth)}${s}`);
  }
  text(): string {
    return this.lines.join('\n');
  }

  /** Render an expression; reductions are hoisted into statements emitted before the current line. */
  expr(e: Expr): string {
    switch (e.k) {
      case 'const':
        return renderConst(e.v, e.t);
      case 'var':
        return e.name;
      case 'load':
        return `${e.buf}[${this.expr(e.idx)}]`;
      case 'bin': {
        const lane = this.laneRewrite(e);
        if (lane) return lane;
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
        return `((${C_TYPE[e.t]})(${a}))`;
      }
      case 'select':
        return `(${this.expr(e.c)} ? ${this.expr(e.a)} : ${this.expr(e.b)})`;
      case 'reduce':
        return this.reduce(e);
    }
  }

  private reduce(e: Extract<Expr, { k: 'reduce' }>): string {
    const r = `r${this.tmp++}`;
    const ct = VAR_TYPE[e.t];
    const init = e.op === 'sum' ? renderConst(0, e.t) : e.t === 'f32' ? '(-INFINITY)' : 'INT64_MIN';
    const combine = (acc: string, x: string) => (e.op === 'sum' ? `${acc} + ${x}` : `nx_max(${acc}, ${x})`);
    const lo = e.lo.k === 'const' ? e.lo.v : undefined;
    const hi = e.hi.k === 'const' ? e.hi.v : undefined;
    const w = e.vec ?? 1;
    const canVec = this.opts.vectorize && e.op === 'sum' && w > 1 && lo !== undefined && hi !== undefined && lo % w === 0 && (hi - lo) % w === 0;
    this.line(`${ct} ${r} = ${init};`);
    if (canVec) {
      this.line(`{ ${ct} ${r}_p[${w}] = {};`);
      this.line(`  for (int64_t ${e.v}_0 = ${lo}; ${e.v}_0 < ${hi}; ${e.v}_0 += ${w}) {`);
      this.line(`    for (int64_t ${e.v}_l = 0; ${e.v}_l < ${w}; ++${e.v}_l) { const int64_t ${e.v} = ${e.v}_0 + ${e.v}_l;`);
      const inner = new CppWriter(this.opts, this.depth + 3);
      inner.tmp = this.tmp + 1000;
      inner.lanes = [...this.lanes, { v: e.v, w }];
      const body = inner.expr(e.body);
      this.lines.push(...inner.lines);
      this.line(`      ${r}_p[${e.v}_l] += ${body}; } }`);
      // Pairwise tree over the lanes: fixed order, so results do not depend on threads.
      let lanes = Array.from({ length: w }, (_, i) => `${r}_p[${i}]`);
      while (lanes.length > 1) {
        const next: string[] = [];
        for (let i = 0; i < lanes.length; i += 2) next.push(i + 1 < lanes.length ? `(${lanes[i]} + ${lanes[i + 1]})` : lanes[i]);
        lanes = next;
      }
      this.line(`  ${r} = ${lanes[0]}; }`);
    } else {
      this.line(`for (int64_t ${e.v} = ${this.expr(e.lo)}; ${e.v} < ${this.expr(e.hi)}; ++${e.v}) {`);
      this.depth++;
      const body = this.expr(e.body);
      this.line(`${r} = ${combine(r, body)};`);
      this.depth--;
      this.line('}');
    }
    return r;
  }

  /** A vec-hinted loop with constant bounds divisible by the width is split into lanes. */
  private canSplit(s: Extract<Stmt, { k: 'for' }>): boolean {
    const w = s.hints?.vec;
    const lo = constOf(s.lo);
    const hi = constOf(s.hi);
    return !!w && w > 1 && this.opts.vectorize && lo !== undefined && hi !== undefined && lo % w === 0 && (hi - lo) % w === 0;
  }

  stmts(ss: Stmt[]): void {
    for (const s of ss) this.stmt(s);
  }

  stmt(s: Stmt): void {
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
        const ct = C_TYPE[s.t];
        this.line(`thread_local std::vector<${ct}> ${s.name}_store;`);
        this.line(`{ const size_t need = (size_t)(${this.expr(s.size)}); if (${s.name}_store.size() < need) ${s.name}_store.resize(need); }`);
        this.line(`${ct}* ${s.name} = ${s.name}_store.data();`);
        return;
      }
      case 'if':
        this.line(`if (${this.expr(s.cond)}) {`);
        this.depth++;
        this.stmts(s.then);
        this.depth--;
        if (s.else) {
          this.line('} else {');
          this.depth++;
          this.stmts(s.else);
          this.depth--;
        }
        this.line('}');
        return;
      case 'for': {
        const lo = this.expr(s.lo);
        const hi = this.expr(s.hi);
        if (s.hints?.parallel && this.opts.parallel) {
          this.line(`nx_parallel_for(pool, ${lo}, ${hi}, [&](int64_t ${s.v}_lo, int64_t ${s.v}_hi) {`);
          this.line(`  for (int64_t ${s.v} = ${s.v}_lo; ${s.v} < ${s.v}_hi; ++${s.v}) {`);
          this.depth += 2;
          this.stmts(s.body);
          this.depth -= 2;
          this.line('  }');
          this.line('});');
        } else if (this.canSplit(s)) {
          const w = s.hints!.vec!;
          this.line(`for (int64_t ${s.v}_0 = ${lo}; ${s.v}_0 < ${hi}; ${s.v}_0 += ${w}) {`);
          this.line('#pragma GCC ivdep');
          this.line(`  for (int64_t ${s.v}_l = 0; ${s.v}_l < ${w}; ++${s.v}_l) { const int64_t ${s.v} = ${s.v}_0 + ${s.v}_l;`);
          this.depth += 2;
          this.lanes.push({ v: s.v, w });
          this.stmts(s.body);
          this.lanes.pop();
          this.depth -= 2;
          this.line('  }');
          this.line('}');
        } else {
          if (s.hints?.vec && this.opts.vectorize) this.line('#pragma GCC ivdep');
          this.line(`for (int64_t ${s.v} = ${lo}; ${s.v} < ${hi}; ++${s.v}) {`);
          this.depth++;
          this.stmts(s.body);
          this.depth--;
          this.line('}');
        }
        return;
      }
    }
  }
}

/** The C++ parameter list of a kernel, in IR order: pool, buffers, scalars. */
export function cppSignature(k: Kernel): string {
  const bufs = k.buffers.map((b) => `${b.access === 'in' ? 'const ' : ''}${C_TYPE[b.t]}* ${b.name}`);
  const scalars = k.scalars.map((s) => `int32_t ${s.name}`);
  return ['nx_pool* pool', ...bufs, ...scalars].join(', ');
}

/** Storage kinds as native/cpu/nx_q4.h's templates number them. */
const STORAGE_KIND: Partial<Record<DType, number>> = { f32: 0, f16: 1, bf16: 2 };

/** Hand-written fast paths this renderer knows (native/cpu/nx_q4.h), each behind its capability macro. */
const INTRINSICS: Record<Intrinsic['op'], { guard: string; call: (i: Intrinsic) => string }> = {
  q4_gemv: {
    guard: 'NX_HAVE_AVX2_Q4',
    call: (i) => `nx_q4_gemv${i.int8Activations ? '_q8' : ''}<${STORAGE_KIND[i.scale]}, ${i.bias ? STORAGE_KIND[i.bias] : -1}, ${i.n}, ${i.k}>(pool, x, qw, qs, ${i.bias ? 'b' : 'nullptr'}, y);`,
  },
  q4_matmul: {
    guard: 'NX_HAVE_AVX2_Q4',
    call: (i) => `nx_q4_matmul<${STORAGE_KIND[i.scale]}, ${i.bias ? STORAGE_KIND[i.bias] : -1}, ${i.n}, ${i.k}>(pool, x, qw, qs, ${i.bias ? 'b' : 'nullptr'}, y, n);`,
  },
};

export interface KernelRenderExtras {
  /** Use intrinsic fast paths where the kernel declares one (default true). */
  intrinsics?: boolean;
}

/** One kernel as a static C++ function. */
export function renderKernelCpp(k: Kernel, opts: CppRenderOptions = DEFAULT_CPP_OPTIONS, extras: KernelRenderExtras = {}): string {
  const w = new CppWriter(opts);
  w.line('(void)pool;');
  w.stmts(k.body);
  const fast = k.intrinsic && extras.intrinsics !== false ? INTRINSICS[k.intrinsic.op] : undefined;
  const body = fast ? `#if defined(${fast.guard})\n  ${fast.call(k.intrinsic!)}\n#else\n${w.text()}\n#endif` : w.text();
  return `static void ${k.name}(${cppSignature(k)}) {\n${body}\n}\n`;
}

export { C_TYPE };
