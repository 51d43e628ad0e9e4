/**
 * The normalized description of a decoder-only transformer that the reference forward pass runs.
 * Every number the forward needs is here, resolved once from MLC's per-architecture `model_config`
 * (see `archs/`), so the forward itself has no per-architecture branches beyond these switches.
 * It is plain data (JSON-serializable): the compiler's conformance suite can log and compare it.
 */

/** How rotary frequencies are derived from the base ones (HF `rope_type`). */
export type RopeScaling =
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number }
  | { type: 'linear'; factor: number }
  | {
      /** Phi-3 "su"/longrope: per-frequency divisors, short below the original context, long above it. */
      type: 'longrope';
      shortFactor: number[];
      longFactor: number[];
      originalMaxPositions: number;
      /** Multiplies cos and sin (HF's `attention_scaling`). */
      attentionFactor: number;
    };

export interface RopeSpec {
  theta: number;
  /** Leading dims of each head that rotate (HF rotate_half layout); the rest pass through. */
  rotaryDim: number;
  scaling: RopeScaling | null;
  /**
   * Storage dtype of the inverse frequencies. transformers keeps them in a buffer that takes the dtype the
   * model was loaded in, so a bf16 checkpoint rotates with bf16-rounded frequencies even when run in float32
   * (the hf-tiny fixtures pin this: without it logits drift by ~1e-3 within 24 positions). MLC computes them
   * in float32 inside its kernels. Absent = float32.
   */
  invFreqDtype?: ComputeDType;
}

export type Activation = 'silu' | 'gelu_tanh' | 'gelu';

/** Per-layer attention geometry that can differ between layers (gemma2/3 alternate). */
export interface LayerSpec {
  /** Keys visible to a query at position p: positions in (p - slidingWindow, p]. null = full causal. */
  slidingWindow: number | null;
  rope: RopeSpec;
}

/**
 * MLC parameter names. Per-layer names are templates with `{i}` for the layer index. Exactly one of
 * `qkv` (fused q|k|v rows) or `q`/`k`/`v` is set; optional entries are null when the arch lacks them.
 */
export interface ParamNames {
  embed: string;
  finalNorm: string;
  /** null: tied, the embedding matrix is the lm_head. */
  lmHead: string | null;
  layer: {
    inputNorm: string;
    qkv: string | null;
    qkvBias: string | null;
    q: string | null;
    k: string | null;
    v: string | null;
    qNorm: string | null;
    kNorm: string | null;
    o: string;
    postAttnNorm: string;
    /** gemma2/3 sandwich norms: the MLP input norm is `preFfnNorm`, `postAttnNorm` normalizes the attention output. */
    preFfnNorm: string | null;
    postFfnNorm: string | null;
    gateUp: string;
    down: string;
  };
}

export interface ReferenceConfig {
  modelType: string;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  rmsNormEps: number;
  activation: Activation;
  /** Multiplies the embedding rows (gemma: sqrt(hidden) rounded to the compute dtype); null = none. */
  embedScale: number | null;
  /** Softmax scale on q·k (1/sqrt(head_dim), or query_pre_attn_scalar^-0.5). */
  attnScale: number;
  /** tanh soft-capping of attention scores (gemma2); null = none. */
  attnSoftcap: number | null;
  /** tanh soft-capping of the final logits (gemma2); null = none. */
  finalSoftcap: number | null;
  /**
   * gemma2/3: the attention output and the MLP output are normalized before the residual add
   * (post_attention_layernorm, post_feedforward_layernorm) and the MLP input uses pre_feedforward_layernorm.
   */
  sandwichNorms: boolean;
  layers: LayerSpec[];
  /** Positions the model supports; -1 when unbounded (sliding-window mistral). Informational for callers. */
  contextWindow: number;
  params: ParamNames;
}

/** Compute dtype of the model being imitated; decides how constants like gemma's sqrt(hidden) round. */
export type ComputeDType = 'float32' | 'float16' | 'bfloat16';

export function layerName(template: string, i: number): string {
  return template.replace('{i}', String(i));
}
