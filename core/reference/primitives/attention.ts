import { softcap } from './softcap';

export interface AttentionOptions {
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** Multiplies q·k before soft-capping and softmax. */
  scale: number;
  /** cap·tanh(score/cap) after scaling (gemma2); null/undefined = none. */
  softcap?: number | null;
  /** A query at position p sees keys at positions in (p - slidingWindow, p]; null/undefined = all ≤ p. */
  slidingWindow?: number | null;
  /** Position of each query row; default: the last `tokens` positions of the kv sequence. Key j is at position j. */
  queryPositions?: ArrayLike<number>;
}

/** True when a query at position p may attend to the key at position j (causal + sliding window). */
export function isVisible(p: number, j: number, slidingWindow?: number | null): boolean {
  return j <= p && (slidingWindow == null || j > p - slidingWindow);
}

/**
 * Grouped-query attention: q [tokens, numHeads, headDim], k and v [kvLen, numKvHeads, headDim] →
 * out [tokens, numHeads, headDim]. Query head h reads kv head floor(h / (numHeads/numKvHeads)).
 * Scores, softmax and the weighted sum run in float64.
 */
export function attention(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  tokens: number,
  kvLen: number,
  opts: AttentionOptions,
): Float32Array {
  const { numHeads, numKvHeads, headDim: d, scale } = opts;
  const group = numHeads / numKvHeads;
  const out = new Float32Array(tokens * numHeads * d);
  const scores = new Float64Array(kvLen);
  const acc = new Float64Array(d);
  for (let t = 0; t < tokens; t++) {
    const p = opts.queryPositions ? opts.queryPositions[t] : kvLen - tokens + t;
    for (let h = 0; h < numHeads; h++) {
      const qo = (t * numHeads + h) * d;
      const kvh = Math.floor(h / group);
      let max = -Infinity;
      for (let j = 0; j < kvLen; j++) {
        if (!isVisible(p, j, opts.slidingWindow)) {
          scores[j] = -Infinity;
          continue;
        }
        const ko = (j * numKvHeads + kvh) * d;
        let s = 0;
        for (let i = 0; i < d; i++) s += q[qo + i] * k[ko + i];
        s *= scale;
        if (opts.softcap != null) s = softcap(s, opts.softcap);
        scores[j] = s;
        if (s > max) max = s;
      }
      acc.fill(0);
      let sum = 0;
      for (let j = 0; j < kvLen; j++) {
        if (scores[j] === -Infinity) continue;
        const w = Math.exp(scores[j] - max);
        sum += w;
        const vo = (j * numKvHeads + kvh) * d;
        for (let i = 0; i < d; i++) acc[i] += w * v[vo + i];
      }
      // A query with no visible key (cannot happen causally) yields zeros rather than NaN.
      const inv = sum > 0 ? 1 / sum : 0;
      for (let i = 0; i < d; i++) out[qo + i] = acc[i] * inv;
    }
  }
  return out;
}

