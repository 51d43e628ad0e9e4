import type { Expr, Stmt } from './ir';

/** Visit an expression and every sub-expression, parents first (renderers use it to find loads, reductions…). */
export function walkExpr(e: Expr, f: (x: Expr) => void): void {
  f(e);
  switch (e.k) {
    case 'load':
      walkExpr(e.idx, f);
      break;
    case 'bin':
      walkExpr(e.a, f);
      walkExpr(e.b, f);
      break;
    case 'un':
    case 'cast':
      walkExpr(e.a, f);
      break;
    case 'select':
      walkExpr(e.c, f);
      walkExpr(e.a, f);
      walkExpr(e.b, f);
      break;
    case 'reduce':
      walkExpr(e.lo, f);
      walkExpr(e.hi, f);
      walkExpr(e.body, f);
      break;
    default:
      break;
  }
}

/** The buffers an expression reads. */
export function loadedBuffers(e: Expr): Set<string> {
  const out = new Set<string>();
  walkExpr(e, (x) => {
    if (x.k === 'load') out.add(x.buf);
  });
  return out;
}

/** Whether an expression contains a reduction. */
export function hasReduce(e: Expr): boolean {
  let found = false;
  walkExpr(e, (x) => {
    if (x.k === 'reduce') found = true;
  });
  return found;
}

/** The buffers a statement list writes. */
export function storedBuffers(ss: Stmt[], out = new Set<string>()): Set<string> {
  for (const s of ss) {
    if (s.k === 'store') out.add(s.buf);
    else if (s.k === 'for') storedBuffers(s.body, out);
    else if (s.k === 'if') {
      storedBuffers(s.then, out);
      if (s.else) storedBuffers(s.else, out);
    }
  }
  return out;
}
