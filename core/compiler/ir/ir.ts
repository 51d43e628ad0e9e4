/**
 * The kernel IR: the one form every kernel is written in, before any target language exists.
 *
 * A kernel is a function over typed buffers and a few runtime int scalars (token count, position).
 * Everything else — hidden size, heads, head_dim, group size — is a compile-time constant baked into
 * the loop bounds, so a renderer emits straight loops the C++ compiler can unroll and vectorise.
 * The node set is deliberately small (about 25 constructs, in the spirit of tinygrad's UOps):
 * constants, variables, loads, arithmetic, bit ops, casts, select, and an expression-valued
 * reduction; statements are loops (with parallel / vector hints), lets, assignments, stores, ifs and
 * thread-local scratch arrays.
 */

/** Element types. f16/bf16 are storage types: loads give their raw 16-bit pattern, `cast` widens. */
export type DType = 'f32' | 'f16' | 'bf16' | 'u32' | 'i32' | 'i64' | 'bool';

export type BinOp =
  | '+' | '-' | '*' | '/' | '%' | 'max' | 'min'
  | '<' | '<=' | '>' | '>=' | '==' | '!='
  | '&&' | '||' | '&' | '|' | '>>' | '<<';

export type UnOp = 'neg' | 'exp' | 'sqrt' | 'tanh' | 'abs' | 'log' | 'cos' | 'sin' | 'floor';

export type Expr =
  | { k: 'const'; v: number; t: DType }
  | { k: 'var'; name: string; t: DType }
  | { k: 'load'; buf: string; idx: Expr; t: DType }
  | { k: 'bin'; op: BinOp; a: Expr; b: Expr; t: DType }
  | { k: 'un'; op: UnOp; a: Expr; t: DType }
  | { k: 'cast'; a: Expr; t: DType }
  | { k: 'select'; c: Expr; a: Expr; b: Expr; t: DType }
  /** acc = identity; for var in [lo, hi): acc = op(acc, body). `vec` asks for that many independent partial accumulators. */
  | { k: 'reduce'; op: 'sum' | 'max'; v: string; lo: Expr; hi: Expr; body: Expr; t: DType; vec?: number };

export interface LoopHints {
  /** Iterations may run on different threads (the renderer splits the range over the pool). */
  parallel?: boolean;
  /** Iterations are independent and contiguous in memory: a hint to vectorise by this width. */
  vec?: number;
}

export type Stmt =
  | { k: 'for'; v: string; lo: Expr; hi: Expr; body: Stmt[]; hints?: LoopHints }
  | { k: 'let'; name: string; t: DType; init: Expr }
  | { k: 'assign'; name: string; value: Expr }
  | { k: 'store'; buf: string; idx: Expr; value: Expr }
  | { k: 'if'; cond: Expr; then: Stmt[]; else?: Stmt[] }
  /** A per-thread scratch array of `size` elements (a dequantised weight tile, attention scores). */
  | { k: 'local'; name: string; t: DType; size: Expr };

export interface BufferParam {
  name: string;
  t: DType;
  /** 'in' buffers are read-only; the renderer marks them const and restrict. */
  access: 'in' | 'out' | 'inout';
}

export interface ScalarParam {
  name: string;
  t: 'i32';
}

/**
 * A whole-kernel operation a backend may implement by hand where it pays (tinygrad's WMMA, ggml's
 * per-backend mul_mat): renderers that know it emit their fast path behind a capability guard and
 * keep the IR body as the fallback. Both must pass the same conformance cases.
 */
export interface Intrinsic {
  op: 'q4_gemv' | 'q4_matmul';
  /** Scale (and bias) storage types. */
  scale: DType;
  bias?: DType;
  n: number;
  k: number;
  /** Quantise activations to int8 per 32 (opt O3): integer dot products, ~1e-3 relative error. */
  int8Activations?: boolean;
}

export interface Kernel {
  /** Deterministic, derived from op, types and the static dims (e.g. `matmul_q4f16_1_n192_k64`). */
  name: string;
  buffers: BufferParam[];
  scalars: ScalarParam[];
  body: Stmt[];
  intrinsic?: Intrinsic;
}

export const FLOAT_TYPES: ReadonlySet<DType> = new Set(['f32', 'f16', 'bf16']);
