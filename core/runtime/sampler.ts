/**
 * Next-token sampling with MLC-LLM's semantics (serve/logit_processor + sampler):
 *  1. ids ≥ active_vocab_size are masked (the library leaves padded vocabulary rows unmasked);
 *  2. penalties over the tokens GENERATED so far (MLC's appeared_token_ids; the prompt does not count):
 *     logit -= presence_penalty + count × frequency_penalty, then repetition penalty
 *     (logit > 0 ? logit / rp : logit × rp);
 *  3. temperature ≈ 0 → greedy argmax (first max wins); else softmax(logit / T), top-p nucleus
 *     (the smallest descending-probability prefix whose mass reaches top_p), one uniform draw.
 * The random source is seeded, so a seed reproduces a generation exactly.
 */

export interface SamplingParams {
  temperature: number;
  top_p: number;
  repetition_penalty: number;
  presence_penalty: number;
  frequency_penalty: number;
}

/** Below this temperature sampling is greedy, as in MLC (which treats < 1e-6 as 0). */
export const GREEDY_TEMPERATURE = 1e-6;

/** mulberry32: tiny, fast, good enough for sampling, and identical on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function argmax(logits: ArrayLike<number>, limit = logits.length): number {
  let best = 0;
  for (let i = 1; i < limit; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

export class Sampler {
  private readonly counts = new Map<number, number>();
  private readonly random: () => number;

  constructor(
    readonly params: SamplingParams,
    private readonly activeVocabSize: number,
    seed = 0,
  ) {
    this.random = seededRandom(seed);
  }

  /** Forget the generated-token history (a new request). */
  resetHistory(): void {
    this.counts.clear();
  }

  /** Record a generated token (penalties count it from now on). */
  accept(token: number): void {
    this.counts.set(token, (this.counts.get(token) ?? 0) + 1);
  }

  /** The processed logits, masked and penalised (a copy; the input is untouched). */
  processLogits(logits: Float32Array): Float64Array {
    const n = Math.min(this.activeVocabSize, logits.length);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = logits[i];
    const { repetition_penalty: rp, presence_penalty: pp, frequency_penalty: fp } = this.params;
    for (const [t, c] of this.counts) {
      if (t >= n) continue;
      let v = out[t] - (pp + c * fp);
      if (rp !== 1) v = v > 0 ? v / rp : v * rp;
      out[t] = v;
    }
    return out;
  }

  /** Choose the next token (does not record it; call accept()). */
  sample(logits: Float32Array): number {
    const x = this.processLogits(logits);
    if (this.params.temperature < GREEDY_TEMPERATURE) return argmax(x);
    return sampleFromProbs(softmax(x, this.params.temperature), this.params.top_p, this.random());
  }
}

export function softmax(x: Float64Array, temperature: number): Float64Array {
  let max = -Infinity;
  for (const v of x) if (v > max) max = v;
  const p = new Float64Array(x.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    p[i] = Math.exp((x[i] - max) / temperature);
    sum += p[i];
  }
  for (let i = 0; i < p.length; i++) p[i] /= sum;
  return p;
}

/** Top-p then one draw with the uniform number u ∈ [0,1). Ties in probability keep the lower id first. */
export function sampleFromProbs(p: Float64Array, topP: number, u: number): number {
  if (topP >= 1) {
    let acc = 0;
    for (let i = 0; i < p.length; i++) {
      acc += p[i];
      if (u < acc) return i;
    }
    return lastNonZero(p);
  }
  const order = Array.from(p.keys()).sort((a, b) => p[b] - p[a] || a - b);
  let mass = 0;
  let keep = 0;
  while (keep < order.length && mass < topP) mass += p[order[keep++]];
  const target = u * mass;
  let acc = 0;
  for (let k = 0; k < keep; k++) {
    acc += p[order[k]];
    if (target < acc) return order[k];
  }
  return order[keep - 1];
}

function lastNonZero(p: Float64Array): number {
  for (let i = p.length - 1; i >= 0; i--) if (p[i] > 0) return i;
  return 0;
}
