/**
 * TEST-ONLY. A direct interpreter of the kernel IR (core/compiler/ir/ir.ts) in TypeScript: the meaning of a
 * kernel, independent of any renderer. f32 values are rounded to float32 after every operation
 * (Math.fround), integers are exact, u32 ops wrap, 16-bit loads give raw bits and `cast` widens them with
 * core/support/dtype. Loops and reductions run in IR order, so a renderer that keeps the order agrees to
 * the last bit except where its math library differs (exp, sin, cos, tanh).
 * Out-of-range loads and stores throw: a kernel must stay inside the buffers it is given.
 */
import type { DType, Expr, Kernel, Stmt } from '../../compiler/ir/ir';
import { bf16ToF32, f16ToF32 } from '../../support/dtype';

export type IrArray = Float32Array | Uint32Array | Int32Array | Uint16Array;

const fr = Math.fround;

export function arrayFor(t: DType, n: number): IrArray {
  switch (t) {
    case 'f32': return new Float32Array(n);
    case 'u32': return new Uint32Array(n);
    case 'i32': return new Int32Array(n);
    case 'f16':
    case 'bf16': return new Uint16Array(n);
    default: throw new Error(`no array type for ${t}`);
  }
}

function unop(op: string, x: number): number {
  switch (op) {
    case 'neg': return -x;
    case 'exp': return fr(Math.exp(x));
    case 'sqrt': return fr(Math.sqrt(x));
    case 'tanh': return fr(Math.tanh(x));
    case 'abs': return Math.abs(x);
    case 'log': return fr(Math.log(x));
    case 'cos': return fr(Math.cos(x));
    case 'sin': return fr(Math.sin(x));
    case 'floor': return Math.floor(x);
    default: throw new Error(`unary ${op}`);
  }
}

function binop(op: string, a: number, b: number, t: DType): number {
  const isF = t === 'f32';
  const wrap = (x: number) => (t === 'u32' ? x >>> 0 : isF ? fr(x) : x);
  switch (op) {
    case '+': return wrap(a + b);
    case '-': return wrap(a - b);
    case '*': return t === 'u32' ? Math.imul(a, b) >>> 0 : wrap(a * b);
    case '/': return isF ? fr(a / b) : Math.trunc(a / b);
    case '%': return isF ? fr(a % b) : a % b;
    case 'max': return Math.max(a, b);
    case 'min': return Math.min(a, b);
    case '<': return +(a < b);
    case '<=': return +(a <= b);
    case '>': return +(a > b);
    case '>=': return +(a >= b);
    case '==': return +(a === b);
    case '!=': return +(a !== b);
    case '&&': return +(!!a && !!b);
    case '||': return +(!!a || !!b);
    case '&': return (a & b) >>> 0;
    case '|': return (a | b) >>> 0;
    case '>>': return t === 'u32' ? a >>> b : a >> b;
    case '<<': return t === 'u32' ? (a << b) >>> 0 : a << b;
    default: throw new Error(`binary ${op}`);
  }
}

export function interpretKernel(k: Kernel, buffers: Record<string, IrArray>, scalars: Record<string, number>): void {
  const locals = new Map<string, Float32Array | Int32Array | Uint32Array>();
  const env = new Map<string, number>(Object.entries(scalars));
  const arr = (name: string): IrArray => {
    const a = locals.get(name) ?? buffers[name];
    if (!a) throw new Error(`${k.name}: no buffer ${name}`);
    return a;
  };
  const at = (name: string, i: number): number => {
    const a = arr(name);
    if (!Number.isInteger(i) || i < 0 || i >= a.length) throw new Error(`${k.name}: ${name}[${i}] is outside its ${a.length} elements`);
    return i;
  };

  const ev = (e: Expr): number => {
    switch (e.k) {
      case 'const': return e.t === 'f32' ? fr(e.v) : e.v;
      case 'var': {
        const x = env.get(e.name);
        if (x === undefined) throw new Error(`${k.name}: unbound ${e.name}`);
        return x;
      }
      case 'load': {
        const name = e.buf;
        return arr(name)[at(name, ev(e.idx))];
      }
      case 'bin': {
        // Operands compare / compute in their joined type, as the renderers do.
        const t = e.t === 'bool' ? (e.a.t === 'f32' || e.b.t === 'f32' ? 'f32' : e.a.t === 'u32' || e.b.t === 'u32' ? 'u32' : 'i32') : e.t;
        return binop(e.op, ev(e.a), ev(e.b), t);
      }
      case 'un': return unop(e.op, ev(e.a));
      case 'cast': {
        const x = ev(e.a);
        if (e.t === 'f32' && e.a.t === 'f16') return f16ToF32(x);
        if (e.t === 'f32' && e.a.t === 'bf16') return bf16ToF32(x);
        if (e.t === 'f32') return fr(x);
        if (e.t === 'u32') return (e.a.t === 'f32' ? Math.trunc(x) : x) >>> 0;
        if (e.t === 'i32') return e.a.t === 'f32' ? Math.trunc(x) : x | 0;
        return x;
      }
      case 'select': return ev(e.c) ? ev(e.a) : ev(e.b);
      case 'reduce': {
        const lo = ev(e.lo);
        const hi = ev(e.hi);
        const saved = env.get(e.v);
        let acc = e.op === 'sum' ? 0 : -Infinity;
        for (let i = lo; i < hi; i++) {
          env.set(e.v, i);
          const x = ev(e.body);
          acc = e.op === 'sum' ? (e.t === 'f32' ? fr(acc + x) : acc + x) : Math.max(acc, x);
        }
        if (saved === undefined) env.delete(e.v);
        else env.set(e.v, saved);
        return acc;
      }
    }
  };

  const run = (ss: Stmt[]): void => {
    for (const s of ss) {
      switch (s.k) {
        case 'let': env.set(s.name, s.t === 'f32' ? fr(ev(s.init)) : ev(s.init)); break;
        case 'assign': env.set(s.name, ev(s.value)); break;
        case 'store': {
          const a = arr(s.buf);
          a[at(s.buf, ev(s.idx))] = ev(s.value);
          break;
        }
        case 'local': locals.set(s.name, arrayFor(s.t, Math.max(1, ev(s.size))) as Float32Array); break;
        case 'if': run(ev(s.cond) ? s.then : (s.else ?? [])); break;
        case 'for': {
          const lo = ev(s.lo);
          const hi = ev(s.hi);
          for (let i = lo; i < hi; i++) {
            env.set(s.v, i);
            run(s.body);
          }
          break;
        }
      }
    }
  };
  run(k.body);
}
