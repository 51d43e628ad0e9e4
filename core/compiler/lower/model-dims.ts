/**
 * What the lowering needs to know about a model, independent of its architecture's spelling:
 * the constant shapes kernels are specialised to and the handful of behavioural switches.
 * Each architecture file (archs/*.ts) turns its MLC model_config into this.
 */
import type { RopeScaling } from './kernels/rope';
import type { Activation } from './kernels/elementwise';

export interface ModelDims {
  hidden: number;
  intermediate: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  layers: number;
  vocab: number;
  eps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  rotaryDim: number;
  activation: Activation;
  tieEmbeddings: boolean;
  qkvBias: boolean;
  /** qwen3: RMSNorm over head_dim on q and k before RoPE. */
  qkNorm: boolean;
  /** gemma2: norms after attention / MLP outputs plus a pre-feedforward norm. */
  sandwichNorms: boolean;
  /** Multiplier applied to embeddings (gemma: sqrt(hidden)). */
  embedScale: number;
  attnScale: number;
  attnSoftcap: number;
  finalSoftcap: number;
  /** Sliding window per layer in tokens (0 = full attention). */
  windowOf: (layer: number) => number;
  contextWindow: number;
  prefillChunk: number;
  /** Top-level sliding_window_size for the manifest (-1 = none). */
  slidingWindowSize: number;
}

/** MLC parameter names of one architecture, as functions of the layer index. */
export interface WeightNames {
  embed: string;
  qkv: (i: number) => string;
  o: (i: number) => string;
  gateUp: (i: number) => string;
  down: (i: number) => string;
  inputNorm: (i: number) => string;
  postAttnNorm: (i: number) => string;
  preFfnNorm?: (i: number) => string;
  postFfnNorm?: (i: number) => string;
  qNorm?: (i: number) => string;
  kNorm?: (i: number) => string;
  finalNorm: string;
  lmHead: string;
}

export interface Arch {
  /** MLC model_type values this file handles. */
  modelTypes: string[];
  dims(cfg: Record<string, unknown>, file: string): ModelDims;
  names: WeightNames;
}
