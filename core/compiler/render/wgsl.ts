/**
 * Kernel IR -> WGSL compute shaders for the webgpu target: a table of spellings plus one walk, like cpp.ts.
 *
 * How the sequential IR becomes a dispatch (the same rule as the CUDA renderer's generic path):
 * - each top-level statement of a kernel is one entry point ("part"). A top-level loop and the loops
 *   perfectly nested in it collapse into one flat index space, one invocation per point; `let`s between
 *   nested loops are recomputed per invocation when cheap (no reduction) and read nothing the nest writes.
 *   Every IR kernel in lower/kernels writes disjoint outputs per outer iteration, which is what makes this
 *   legal (the cpu renderer's `parallel` hint relies on the same property). A part that is not a loop runs
 *   on invocation 0 only.
 * - extents of the collapsed nest are IR expressions over the kernel's scalars; they are shipped to the
 *   host as JSON (`PartInfo.dims`) so it sizes the dispatch, and recomputed in the shader for the guard.
 * WGSL differences the renderer absorbs:
 * - no 64-bit integers: index math is i32 (the host refuses buffers past 2^31 elements);
 * - 16-bit storage: without `shader-f16`, f16/bf16 buffers are bound as array<u32> and read by halves
 *   (`unpack2x16float` widens f16 exactly; bf16 is the high half of an f32). With `shader-f16`
 *   ("native"), f16 buffers are array<f16>. Kernels only ever store f32/i32, so no 16-bit writes exist;
 * - every binding carries an element offset in the uniforms (a plan may bind a scratch buffer from a
 *   row on, and WebGPU's 256-byte binding-offset alignment cannot express that);
 * - `local` scratch is a function-scope array of constant size: a runtime size takes `maxLocal`;
 * - no infinity literal: a max-reduction starts at -FLT_MAX (identical for finite inputs);
 * - sin, cos and tanh come from helpers with known accuracy (MATH_HELPERS);
 * - all IR names get a prefix (v_ variables, b_ buffers) so none collides with WGSL keywords or builtins.
 */
import type { DType, Expr, Kernel, Stmt } from '../ir/ir';
import { hasReduce, loadedBuffers, storedBuffers, walkExpr } from '../ir/walk';

export type F16Mode = 'packed' | 'native';

export interface WgslRenderOptions {
  f16: F16Mode;
  /** Elements of a `local` array whose size is not a compile-time constant (attention: the context window). */
  maxLocal: number;
  workgroupSize: number;
  /**
   * Buffers that share another's binding (name -> binding buffer): a step that passes one GPU buffer
   * twice (an in-place norm) cannot bind it twice, since WebGPU forbids writable aliasing. Each name
   * keeps its own element offset.
   */
  alias?: Record<string, string>;
}

export const WORKGROUP_SIZE = 64;

/** One entry point of a kernel. `dims` empty: runs on invocation 0 only. */
export interface PartInfo {
  entry: string;
  dims: { lo: Expr; hi: Expr }[];
}

export interface RenderedWgslKernel {
  name: string;
  code: string;
  parts: PartInfo[];
  /** Binding order: kernel buffers in IR order less the aliased ones (binding i), then the uniforms at binding `buffers.length`. */
  buffers: { name: string; t: DType; access: 'in' | 'out' | 'inout' }[];
  /** Uniform i32 fields in order: the kernel's scalars, then one element offset per buffer. */
  uniforms: string[];
}

const SCALAR_TYPE: Record<DType, string> = { f32: 'f32', f16: 'u32', bf16: 'u32', u32: 'u32', i32: 'i32', i64: 'i64', bool: 'bool' };

const BIN_INFIX: Record<string, string> = {
  '+': '+', '-': '-', '*': '*', '/': '/', '%': '%', '<': '<', '<=': '<=', '>': '>', '>=': '>=', '==': '==', '!=': '!=',
  '&&': '&&', '||': '||', '&': '&', '|': '|', '>>': '>>', '<<': '<<',
};
const UN_FN: Record<string, string> = { exp: 'exp', sqrt: 'sqrt', abs: 'abs', log: 'log', cos: 'nx_cos', sin: 'nx_sin', floor: 'floor', tanh: 'nx_tanh' };

/**
 * WGSL's sin/cos only promise 2^-11 absolute error on [-pi, pi] (nothing outside), and tanh is loosely
 * specified: RoPE angles reach hundreds of radians, so the shaders carry their own. sin/cos are Cephes'
 * sinf/cosf (Cody-Waite reduction by pi/4 in three parts, minimax polynomials; about 1 ulp for
 * |x| < 8192); tanh goes through exp and is exactly +-1 past +-9.01 like tanhf.
 */
const MATH_HELPERS: Record<string, string> = {
  nx_sincos: `fn nx_sincos(x: f32, want_cos: bool) -> f32 {
  var sgn = 1.0f;
  var a = x;
  if (a < 0.0f) { a = -a; if (!want_cos) { sgn = -1.0f; } }
  var j = u32(a * 1.27323954473516f);
  var y = f32(j);
  if ((j & 1u) == 1u) { j = j + 1u; y = y + 1.0f; }
  j = j & 7u;
  if (j > 3u) { j = j - 4u; sgn = -sgn; }
  if (want_cos && j > 1u) { sgn = -sgn; }
  let z = ((a - y * 0.78515625f) - y * 2.4187564849853515625e-4f) - y * 3.77489497744594108e-8f;
  let zz = z * z;
  let c = ((2.443315711809948e-5f * zz - 1.388731625493765e-3f) * zz + 4.166664568298827e-2f) * zz * zz - 0.5f * zz + 1.0f;
  let s = ((-1.9515295891e-4f * zz + 8.3321608736e-3f) * zz - 1.6666654611e-1f) * zz * z + z;
  let use_cos = (j == 1u || j == 2u) != want_cos;
  return sgn * select(s, c, use_cos);
}`,
  nx_sin: 'fn nx_sin(x: f32) -> f32 { return nx_sincos(x, false); }',
  nx_cos: 'fn nx_cos(x: f32) -> f32 { return nx_sincos(x, true); }',
  nx_tanh: `fn nx_tanh(x: f32) -> f32 {
  let a = min(abs(x), 10.0f);
  let t = 1.0f - 2.0f / (exp(2.0f * a) + 1.0f);
  return select(t, -t, x < 0.0f);
}`,
};
const COMPARE = new Set(['<', '<=', '>', '>=', '==', '!=']);

/** WGSL number literal of an IR constant. */
export function wgslConst(v: number, t: DType): string {
  switch (t) {
    case 'f32': {
      if (!Number.isFinite(v)) throw new Error(`WGSL has no literal for ${v}`);
      const s = Math.fround(v).toPrecision(9);
      return `${s.includes('e') || s.includes('.') ? s : `${s}.0`}f`;
    }
    case 'u32':
      return `${v >>> 0}u`;
    case 'bool':
      return v ? 'true' : 'false';
    case 'i32':
      return v < 0 ? `(${v}i)` : `${v}i`;
    default:
      throw new Error(`WGSL constant of type ${t} is not supported`);
  }
}

// ---- small analyses (the same questions the CUDA renderer asks) ----


function freeVars(e: Expr): Set<string> {
  const out = new Set<string>();
  const bound = new Set<string>();
  walkExpr(e, (x) => {
    if (x.k === 'reduce') bound.add(x.v);
    if (x.k === 'var' && !bound.has(x.name)) out.add(x.name);
  });
  return out;
}

/** Constant value of an integer expression over constants only, or undefined. */
function constValue(e: Expr): number | undefined {
  if (e.k === 'const') return e.v;
  if (e.k === 'bin') {
    const a = constValue(e.a);
    const b = constValue(e.b);
    if (a === undefined || b === undefined) return undefined;
    switch (e.op) {
      case '+': return a + b;
      case '-': return a - b;
      case '*': return a * b;
      case '/': return Math.trunc(a / b);
      case 'max': return Math.max(a, b);
      case 'min': return Math.min(a, b);
      default: return undefined;
    }
  }
  return undefined;
}

interface Nest {
  dims: { v: string; lo: Expr; hi: Expr }[];
  lets: Stmt[];
  body: Stmt[];
}

function collapse(s: Extract<Stmt, { k: 'for' }>, scalars: Set<string>): Nest {
  const dims = [{ v: s.v, lo: s.lo, hi: s.hi }];
  const lets: Stmt[] = [];
  const written = storedBuffers([s]);
  let body = s.body;
  for (;;) {
    const last = body[body.length - 1];
    if (!last || last.k !== 'for') break;
    const pre = body.slice(0, -1);
    const cheap = pre.every((p) => p.k === 'let' && !hasReduce(p.init) && [...loadedBuffers(p.init)].every((b) => !written.has(b)));
    const bounds = [...freeVars(last.lo), ...freeVars(last.hi)].every((x) => scalars.has(x));
    if (!cheap || !bounds) break;
    lets.push(...pre);
    dims.push({ v: last.v, lo: last.lo, hi: last.hi });
    body = last.body;
  }
  return { dims, lets, body };
}

// ---- the writer ----

class WgslWriter {
  private lines: string[] = [];
  private tmp = 0;
  /** Variable name -> IR type, for the declarations the walk has seen. */
  constructor(
    private readonly kernel: Kernel,
    private readonly opts: WgslRenderOptions,
    private readonly locals: Map<string, DType>,
    public depth = 1,
    /** Math helpers (MATH_HELPERS keys) the code uses. */
    readonly helpers = new Set<string>(),
  ) {}

  line(s: string): void {
    this.lines.push(`${'  '.repeat(this.depth)}${s}`);
  }
  text(): string {
    return this.lines.join('\n');
  }

  private bufType(name: string): DType | undefined {
    return this.kernel.buffers.find((b) => b.name === name)?.t;
  }

  /** The WGSL binding a buffer name is read and written through. */
  private binding(name: string): string {
    return `b_${this.opts.alias?.[name] ?? name}`;
  }

  /** `e` converted to WGSL scalar type `t` when its own type differs. */
  private as(e: Expr, t: DType): string {
    const s = this.expr(e);
    const from = SCALAR_TYPE[e.t];
    const to = SCALAR_TYPE[t];
    if (from === to) return s;
    if (e.k === 'const' && t !== 'bool') return wgslConst(e.v, t);
    if (from === 'bool') return `select(${wgslConst(0, t)}, ${wgslConst(1, t)}, ${s})`;
    return `${to}(${s})`;
  }

  private load(e: Extract<Expr, { k: 'load' }>): string {
    const idx = this.as(e.idx, 'i32');
    if (this.locals.has(e.buf)) return `b_${e.buf}[${idx}]`;
    const t = this.bufType(e.buf);
    if (t === undefined) throw new Error(`${this.kernel.name}: load from unknown buffer ${e.buf}`);
    const at = `(u.o_${e.buf} + ${idx})`;
    // 16-bit element of a buffer bound as array<u32> (little-endian halves): its raw bits in the low 16.
    const b = this.binding(e.buf);
    if ((t === 'f16' && this.opts.f16 === 'packed') || t === 'bf16') return `((${b}[u32${at} >> 1u] >> ((u32${at} & 1u) * 16u)) & 0xffffu)`;
    return `${b}[${at}]`;
  }

  expr(e: Expr): string {
    switch (e.k) {
      case 'const':
        return wgslConst(e.v, e.t);
      case 'var':
        return `v_${e.name}`;
      case 'load':
        return this.load(e);
      case 'bin': {
        if (e.op === 'max' || e.op === 'min') return `${e.op}(${this.as(e.a, e.t)}, ${this.as(e.b, e.t)})`;
        if (e.op === '<<' || e.op === '>>') return `(${this.as(e.a, e.t)} ${e.op} ${this.as(e.b, 'u32')})`;
        if (e.op === '&&' || e.op === '||') return `(${this.as(e.a, 'bool')} ${e.op} ${this.as(e.b, 'bool')})`;
        // Comparisons compare in the wider operand type; arithmetic computes in the result type.
        const t: DType = COMPARE.has(e.op)
          ? ([e.a.t, e.b.t].includes('f32') ? 'f32' : [e.a.t, e.b.t].includes('u32') ? 'u32' : 'i32')
          : e.t;
        return `(${this.as(e.a, t)} ${BIN_INFIX[e.op]} ${this.as(e.b, t)})`;
      }
      case 'un':
        if (e.op === 'neg') return `(-${this.expr(e.a)})`;
        if (e.op === 'sin' || e.op === 'cos' || e.op === 'tanh') this.helpers.add(UN_FN[e.op]);
        return `${UN_FN[e.op]}(${this.as(e.a, 'f32')})`;
      case 'cast': {
        const a = this.expr(e.a);
        if (e.t === 'f32' && e.a.t === 'f16') return this.opts.f16 === 'native' && e.a.k === 'load' ? `f32(${a})` : `unpack2x16float(${a}).x`;
        if (e.t === 'f32' && e.a.t === 'bf16') return `bitcast<f32>(${a} << 16u)`;
        if (e.t === 'f16' || e.t === 'bf16' || e.t === 'i64') throw new Error(`${this.kernel.name}: WGSL cast to ${e.t} is not supported`);
        return this.as(e.a, e.t);
      }
      case 'select':
        return `select(${this.as(e.b, e.t)}, ${this.as(e.a, e.t)}, ${this.as(e.c, 'bool')})`;
      case 'reduce': {
        const r = `r${this.tmp++}`;
        const t = SCALAR_TYPE[e.t];
        const init = e.op === 'sum' ? wgslConst(0, e.t) : e.t === 'f32' ? '-3.4028234e38f' : e.t === 'u32' ? '0u' : '(-2147483647i - 1i)';
        this.line(`var ${r}: ${t} = ${init};`);
        this.line(`for (var v_${e.v}: i32 = ${this.as(e.lo, 'i32')}; v_${e.v} < ${this.as(e.hi, 'i32')}; v_${e.v}++) {`);
        this.depth++;
        const body = this.as(e.body, e.t);
        this.line(e.op === 'sum' ? `${r} = ${r} + ${body};` : `${r} = max(${r}, ${body});`);
        this.depth--;
        this.line('}');
        return r;
      }
    }
  }

  stmts(ss: Stmt[]): void {
    for (const s of ss) this.stmt(s);
  }

  stmt(s: Stmt): void {
    switch (s.k) {
      case 'let':
        if (s.t === 'f16' || s.t === 'bf16' || s.t === 'i64') throw new Error(`${this.kernel.name}: WGSL variable of type ${s.t}`);
        this.line(`var v_${s.name}: ${SCALAR_TYPE[s.t]} = ${this.as(s.init, s.t)};`);
        return;
      case 'assign':
        this.line(`v_${s.name} = ${this.expr(s.value)};`);
        return;
      case 'store': {
        const idx = this.as(s.idx, 'i32');
        if (this.locals.has(s.buf)) {
          this.line(`b_${s.buf}[${idx}] = ${this.as(s.value, this.locals.get(s.buf)!)};`);
          return;
        }
        const t = this.bufType(s.buf);
        if (t === undefined) throw new Error(`${this.kernel.name}: store to unknown buffer ${s.buf}`);
        if (t === 'f16' || t === 'bf16' || t === 'i64') throw new Error(`${this.kernel.name}: WGSL stores to ${t} buffers are not supported`);
        this.line(`${this.binding(s.buf)}[u.o_${s.buf} + ${idx}] = ${this.as(s.value, t)};`);
        return;
      }
      case 'local': {
        if (s.t !== 'f32' && s.t !== 'i32' && s.t !== 'u32') throw new Error(`${this.kernel.name}: WGSL local array of ${s.t}`);
        const size = constValue(s.size) ?? this.opts.maxLocal;
        this.locals.set(s.name, s.t);
        this.line(`var b_${s.name}: array<${s.t}, ${Math.max(1, size)}>;`);
        return;
      }
      case 'if':
        this.line(`if (${this.as(s.cond, 'bool')}) {`);
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
      case 'for':
        this.line(`for (var v_${s.v}: i32 = ${this.as(s.lo, 'i32')}; v_${s.v} < ${this.as(s.hi, 'i32')}; v_${s.v}++) {`);
        this.depth++;
        this.stmts(s.body);
        this.depth--;
        this.line('}');
        return;
    }
  }

  /** Extent of a collapsed dimension, as i32 WGSL. */
  extent(d: { lo: Expr; hi: Expr }): string {
    return `max(0i, ${this.as(d.hi, 'i32')} - ${this.as(d.lo, 'i32')})`;
  }
}

/** Render one kernel as a WGSL module with one entry point per part. */
export function renderKernelWgsl(k: Kernel, opts: WgslRenderOptions): RenderedWgslKernel {
  const scalars = new Set(k.scalars.map((s) => s.name));
  const uniforms = [...k.scalars.map((s) => s.name), ...k.buffers.map((b) => `o_${b.name}`)];
  const usesF16 = k.buffers.some((b) => b.t === 'f16');
  const header: string[] = [];
  if (usesF16 && opts.f16 === 'native') header.push('enable f16;');
  header.push(`// Generated by nx-mlc (core/compiler/render/wgsl.ts) from kernel ${k.name}. Do not edit.`);
  header.push(`struct Uniforms {\n${uniforms.map((n) => `  ${n}: i32,`).join('\n')}\n}`);
  const alias = opts.alias ?? {};
  for (const [from, to] of Object.entries(alias)) {
    const a = k.buffers.find((b) => b.name === from);
    const b = k.buffers.find((x) => x.name === to);
    if (!a || !b || a.t !== b.t || alias[to]) throw new Error(`${k.name}: cannot alias buffer ${from} to ${to}`);
  }
  const bindings = k.buffers
    .filter((b) => !(b.name in alias))
    .map((b) => {
      const shared = k.buffers.filter((x) => x.name === b.name || alias[x.name] === b.name);
      return { ...b, access: shared.every((x) => x.access === 'in') ? ('in' as const) : shared.length > 1 ? ('inout' as const) : b.access };
    });
  bindings.forEach((b, i) => {
    const elem = b.t === 'bf16' || (b.t === 'f16' && opts.f16 === 'packed') ? 'u32' : b.t;
    if (elem === 'i64' || elem === 'bool') throw new Error(`${k.name}: WGSL buffers of ${b.t} are not supported`);
    header.push(`@group(0) @binding(${i}) var<storage, ${b.access === 'in' ? 'read' : 'read_write'}> b_${b.name}: array<${elem}>;`);
  });
  header.push(`@group(0) @binding(${bindings.length}) var<uniform> u: Uniforms;`);

  const parts: PartInfo[] = [];
  const fns: string[] = [];
  const helpers = new Set<string>();
  const topLets: Stmt[] = [];
  for (const s of k.body) {
    if (s.k === 'let' && !hasReduce(s.init)) {
      topLets.push(s);
      continue;
    }
    const entry = `part${parts.length}`;
    const w = new WgslWriter(k, opts, new Map(), 1, helpers);
    w.line(`let gid = i32(gid3.x + gid3.y * nwg.x * ${opts.workgroupSize}u);`);
    for (const sc of k.scalars) w.line(`let v_${sc.name}: i32 = u.${sc.name};`);
    w.stmts(topLets);
    const topVars = new Set(topLets.map((l) => (l.k === 'let' ? l.name : '')));
    const parallel = s.k === 'for' && [...freeVars(s.lo), ...freeVars(s.hi)].every((x) => scalars.has(x) && !topVars.has(x));
    if (parallel) {
      const nest = collapse(s as Extract<Stmt, { k: 'for' }>, scalars);
      nest.dims.forEach((d, i) => w.line(`let e${i} = ${w.extent(d)};`));
      w.line(`if (gid >= ${nest.dims.map((_, i) => `e${i}`).join(' * ')}) { return; }`);
      w.line('var rem = gid;');
      for (let i = nest.dims.length - 1; i >= 0; i--) {
        const d = nest.dims[i];
        w.line(`let v_${d.v}: i32 = ${w.expr(d.lo)} + rem % e${i};`);
        if (i > 0) w.line(`rem = rem / e${i};`);
      }
      w.stmts([...nest.lets, ...nest.body]);
      parts.push({ entry, dims: nest.dims.map((d) => ({ lo: d.lo, hi: d.hi })) });
    } else {
      w.line('if (gid != 0i) { return; }');
      w.stmts([s]);
      parts.push({ entry, dims: [] });
    }
    fns.push(
      `@compute @workgroup_size(${opts.workgroupSize})\nfn ${entry}(@builtin(global_invocation_id) gid3: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {\n${w.text()}\n}`,
    );
  }
  if (helpers.has('nx_sin') || helpers.has('nx_cos')) helpers.add('nx_sincos');
  const helperCode = Object.keys(MATH_HELPERS).filter((h) => helpers.has(h)).map((h) => MATH_HELPERS[h]);
  return { name: k.name, code: `${[...header, ...helperCode].join('\n')}\n\n${fns.join('\n\n')}\n`, parts, buffers: bindings, uniforms };
}
