/**
 * Builders for the kernel IR. Kernels are written with these, so a kernel file reads like the math:
 * `store(y, idx, mul(load(x, i), c(2)))`. Numbers passed where an Expr is expected become constants:
 * integral numbers as i32, others as f32; use `f(1)` to force a float constant.
 */
import type { BinOp, DType, Expr, Kernel, LoopHints, Stmt, UnOp, BufferParam, ScalarParam } from './ir';

export type E = Expr | number;

export function c(v: number, t?: DType): Expr {
  return { k: 'const', v, t: t ?? (Number.isInteger(v) ? 'i32' : 'f32') };
}
export const f = (v: number): Expr => c(v, 'f32');
export const u = (v: number): Expr => c(v, 'u32');

export function ex(e: E): Expr {
  return typeof e === 'number' ? c(e) : e;
}

export const v = (name: string, t: DType = 'i32'): Expr => ({ k: 'var', name, t });

/** Result type of a binary op: comparisons give bool; otherwise float wins, then u32, then i64. */
function joinType(op: BinOp, a: Expr, b: Expr): DType {
  if (['<', '<=', '>', '>=', '==', '!=', '&&', '||'].includes(op)) return 'bool';
  for (const t of ['f32', 'u32', 'i64'] as DType[]) if (a.t === t || b.t === t) return t;
  return a.t;
}

export function bin(op: BinOp, a: E, b: E): Expr {
  const ea = ex(a);
  const eb = ex(b);
  // Constants adopt the other side's type, so `mul(x, 2)` stays float when x is.
  const fa = ea.k === 'const' && eb.k !== 'const' ? { ...ea, t: eb.t === 'bool' ? ea.t : eb.t } : ea;
  const fb = eb.k === 'const' && ea.k !== 'const' ? { ...eb, t: ea.t === 'bool' ? eb.t : ea.t } : eb;
  return { k: 'bin', op, a: fa, b: fb, t: joinType(op, fa, fb) };
}

export const add = (a: E, b: E) => bin('+', a, b);
export const sub = (a: E, b: E) => bin('-', a, b);
export const mul = (a: E, b: E) => bin('*', a, b);
export const div = (a: E, b: E) => bin('/', a, b);
export const mod = (a: E, b: E) => bin('%', a, b);
export const max = (a: E, b: E) => bin('max', a, b);
export const min = (a: E, b: E) => bin('min', a, b);
export const lt = (a: E, b: E) => bin('<', a, b);
export const le = (a: E, b: E) => bin('<=', a, b);
export const ge = (a: E, b: E) => bin('>=', a, b);
export const and = (a: E, b: E) => bin('&&', a, b);
export const shr = (a: E, b: E) => bin('>>', a, b);
export const band = (a: E, b: E) => bin('&', a, b);

export function un(op: UnOp, a: E): Expr {
  const ea = ex(a);
  return { k: 'un', op, a: ea, t: ea.t };
}
export const exp = (a: E) => un('exp', a);
export const sqrt = (a: E) => un('sqrt', a);
export const tanh = (a: E) => un('tanh', a);
export const neg = (a: E) => un('neg', a);

export function cast(a: E, t: DType): Expr {
  return { k: 'cast', a: ex(a), t };
}
export function select(cond: E, a: E, b: E): Expr {
  const ea = ex(a);
  return { k: 'select', c: ex(cond), a: ea, b: ex(b), t: ea.t };
}

export function load(buf: { name: string; t: DType } | string, idx: E, t?: DType): Expr {
  const name = typeof buf === 'string' ? buf : buf.name;
  const dt = typeof buf === 'string' ? (t ?? 'f32') : buf.t;
  return { k: 'load', buf: name, idx: ex(idx), t: dt };
}
/** Load and widen to f32 whatever the storage type (f16/bf16/f32). */
export function loadF32(buf: { name: string; t: DType }, idx: E): Expr {
  const l = load(buf, idx);
  return buf.t === 'f32' ? l : cast(l, 'f32');
}

export function sum(vname: string, lo: E, hi: E, body: Expr, vec?: number): Expr {
  return { k: 'reduce', op: 'sum', v: vname, lo: ex(lo), hi: ex(hi), body, t: body.t, vec };
}
export function rmax(vname: string, lo: E, hi: E, body: Expr): Expr {
  return { k: 'reduce', op: 'max', v: vname, lo: ex(lo), hi: ex(hi), body, t: body.t };
}

export function loop(vname: string, lo: E, hi: E, body: Stmt[], hints?: LoopHints): Stmt {
  return { k: 'for', v: vname, lo: ex(lo), hi: ex(hi), body, hints };
}
export function store(buf: { name: string } | string, idx: E, value: E): Stmt {
  return { k: 'store', buf: typeof buf === 'string' ? buf : buf.name, idx: ex(idx), value: ex(value) };
}
export function let_(name: string, init: E, t?: DType): Stmt {
  const e = ex(init);
  return { k: 'let', name, t: t ?? e.t, init: e };
}
export function assign(name: string, value: E): Stmt {
  return { k: 'assign', name, value: ex(value) };
}
export function if_(cond: E, then: Stmt[], els?: Stmt[]): Stmt {
  return { k: 'if', cond: ex(cond), then, else: els };
}
export function local(name: string, t: DType, size: E): Stmt {
  return { k: 'local', name, t, size: ex(size) };
}

export const buf = (name: string, t: DType, access: BufferParam['access'] = 'in'): BufferParam => ({ name, t, access });
export const scalar = (name: string): ScalarParam => ({ name, t: 'i32' });

export function kernel(name: string, buffers: BufferParam[], scalars: ScalarParam[], body: Stmt[]): Kernel {
  return { name, buffers, scalars, body };
}
