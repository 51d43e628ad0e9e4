/**
 * Host-side evaluation of the plan's integer expressions (step scalars, binding offsets, dispatch extents):
 * IR `const` / `var` / `bin` over the forward's variables n, pos, cap, rows, first. Browser-safe.
 */
import type { Expr } from '../compiler/ir/ir';

export function evalIntExpr(e: Expr, env: Readonly<Record<string, number>>): number {
  switch (e.k) {
    case 'const':
      return e.v;
    case 'var': {
      const x = env[e.name];
      if (x === undefined) throw new Error(`plan expression uses ${e.name}, which the host does not define`);
      return x;
    }
    case 'bin': {
      const a = evalIntExpr(e.a, env);
      const b = evalIntExpr(e.b, env);
      switch (e.op) {
        case '+': return a + b;
        case '-': return a - b;
        case '*': return a * b;
        case '/': return Math.trunc(a / b);
        case '%': return a % b;
        case 'max': return Math.max(a, b);
        case 'min': return Math.min(a, b);
        default: throw new Error(`plan expression uses operator ${e.op}, which the host does not evaluate`);
      }
    }
    default:
      throw new Error(`plan expression of kind ${e.k} cannot be evaluated on the host`);
  }
}
