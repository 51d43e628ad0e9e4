/**
 * The static plan: for one model specialisation, the ordered kernel calls of a forward pass over a
 * chunk of n tokens starting at position pos (prefill chunks and decode alike: decode is n = 1), with
 * every buffer named. The runtime executes it; renderers spell it. Scalars are IR expressions over the
 * forward's runtime variables: n, pos, cap (KV capacity), rows and first (which rows need logits).
 */
import type { Expr, Kernel } from '../ir/ir';
import type { ParamDecl } from './quant';

export type BufRef =
  | { k: 'param'; name: string }
  | { k: 'scratch'; name: string; offset?: Expr }
  | { k: 'kv'; layer: number; which: 'k' | 'v' }
  | { k: 'tokens' }
  | { k: 'logits' }
  | { k: 'table'; name: string };

export interface Step {
  kernel: Kernel;
  bufs: BufRef[];
  scalars: Expr[];
  /** A single-row variant (no scalars) used when the first scalar equals 1: the decode GEMV. */
  single?: Kernel;
}

export interface Plan {
  params: ParamDecl[];
  /** Activation buffers of `width` floats per token row, allocated for prefill_chunk_size rows. */
  scratch: { name: string; width: number }[];
  /** Compile-time constant f32 tables (RoPE inverse frequencies). */
  tables: { name: string; values: number[] }[];
  steps: Step[];
  kv: { layers: number; kvHeads: number; headDim: number };
}
