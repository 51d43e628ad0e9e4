import { NxMlcError } from '../support/errors';
import { ReferenceConfig } from './config';
import { ParamSource } from './param-source';
import { attention } from './primitives/attention';
import { argmax, linear } from './primitives/linear';
import { gatedMlp } from './primitives/mlp';
import { rmsNorm } from './primitives/rmsnorm';
import { applyRopeAt, ropeCosSin } from './primitives/rope';
import { softcapInPlace } from './primitives/softcap';
import { loadWeights, ModelWeights } from './weights';

/** Keys and values of one layer for every position so far, [capacity, numKvHeads, headDim], grown by doubling. */
class LayerCache {
  k: Float32Array;
  v: Float32Array;

  constructor(private readonly rowSize: number) {
    this.k = new Float32Array(64 * rowSize);
    this.v = new Float32Array(64 * rowSize);
  }

  ensure(positions: number): void {
    if (positions * this.rowSize <= this.k.length) return;
    let cap = this.k.length / this.rowSize;
    while (cap < positions) cap *= 2;
    const k = new Float32Array(cap * this.rowSize);
    const v = new Float32Array(cap * this.rowSize);
    k.set(this.k);
    v.set(this.v);
    this.k = k;
    this.v = v;
  }
}

/**
 * The reference forward pass: float32 storage, float64 accumulation, a KV cache so that generation
 * costs one token's work per step. Semantics follow Hugging Face transformers for each architecture:
 * logits after any sequence of prefill/decode calls equal a full forward over the whole sequence (for
 * longrope this takes one cache rebuild, when the sequence first passes the original context).
 */
export class ReferenceModel {
  readonly cfg: ReferenceConfig;
  private readonly w: ModelWeights;
  private caches: LayerCache[] = [];
  /** Tokens in the KV cache, kept to rebuild it when longrope switches to its long factors. */
  private history: number[] = [];
  private cached = 0;
  /** original_max_position_embeddings of a longrope model, else null. */
  private readonly longropeSwitch: number | null;

  constructor(cfg: ReferenceConfig, params: ParamSource) {
    this.cfg = cfg;
    this.w = loadWeights(cfg, params);
    const longrope = cfg.layers.map((l) => l.rope.scaling).find((s) => s?.type === 'longrope');
    this.longropeSwitch = longrope?.type === 'longrope' ? longrope.originalMaxPositions : null;
    this.reset();
  }

  /** Number of tokens in the KV cache (= position of the next token). */
  get position(): number {
    return this.cached;
  }

  reset(): void {
    const rowSize = this.cfg.numKvHeads * this.cfg.headDim;
    this.caches = Array.from({ length: this.cfg.numLayers }, () => new LayerCache(rowSize));
    this.cached = 0;
    this.history = [];
  }

  /**
   * Run `tokens` after whatever is cached. Returns the logits of the last token [V], or of every token
   * [T, V] when `allLogits`.
   */
  prefill(tokens: number[], allLogits = false): Float32Array {
    if (tokens.length === 0) {
      throw new NxMlcError('prefill needs at least one token', { fix: 'Pass a non-empty prompt.' });
    }
    const H = this.cfg.hiddenSize;
    let hidden: Float32Array;
    const sw = this.longropeSwitch;
    if (sw !== null && this.position > 0 && this.position <= sw && this.position + tokens.length > sw) {
      // transformers' Phi-3 generate drops the KV cache the first time the sequence passes the original
      // context, so every cached key is recomputed with the long factors. Do the same.
      const all = [...this.history, ...tokens];
      this.reset();
      hidden = this.forwardHidden(all).subarray((all.length - tokens.length) * H);
    } else {
      hidden = this.forwardHidden(tokens);
    }
    const rows = allLogits ? tokens.length : 1;
    const last = allLogits ? hidden : hidden.subarray((tokens.length - 1) * H);
    return this.logits(last, rows);
  }

  /** One token after the cached ones → its logits [V]. */
  decode(token: number): Float32Array {
    return this.prefill([token]);
  }

  /** Logits of every position of `tokens` from an empty cache, [T, V] row-major. */
  forwardAll(tokens: number[]): Float32Array {
    this.reset();
    return this.prefill(tokens, true);
  }

  /** `n` greedily chosen tokens after `prompt` (argmax, first index on ties), from an empty cache. */
  greedy(prompt: number[], n: number): number[] {
    this.reset();
    const out: number[] = [];
    if (n <= 0) return out;
    let logits = this.prefill(prompt);
    for (;;) {
      const next = argmax(logits);
      out.push(next);
      if (out.length === n) return out;
      logits = this.decode(next);
    }
  }

  private embed(tokens: number[]): Float32Array {
    const { hiddenSize: H, vocabSize: V, embedScale } = this.cfg;
    const x = new Float32Array(tokens.length * H);
    tokens.forEach((tok, t) => {
      if (!Number.isInteger(tok) || tok < 0 || tok >= V) {
        throw new NxMlcError(`Token id ${tok} is outside the vocabulary [0, ${V})`, { fix: 'Tokenize with this model\'s tokenizer.' });
      }
      const row = this.w.embed.subarray(tok * H, (tok + 1) * H);
      if (embedScale === null) x.set(row, t * H);
      else for (let i = 0; i < H; i++) x[t * H + i] = row[i] * embedScale;
    });
    return x;
  }

  /** Final-normed hidden states [T, H] of `tokens`, appended to the cache. */
  private forwardHidden(tokens: number[]): Float32Array {
    const c = this.cfg;
    const T = tokens.length;
    const { hiddenSize: H, numHeads, numKvHeads, headDim: D, intermediateSize: I, rmsNormEps: eps } = c;
    const qSize = numHeads * D;
    const kvSize = numKvHeads * D;
    const qkvSize = qSize + 2 * kvSize;
    const start = this.position;
    const end = start + T;
    const x = this.embed(tokens);

    for (let l = 0; l < c.numLayers; l++) {
      const w = this.w.layers[l];
      const spec = c.layers[l];
      const cache = this.caches[l];
      cache.ensure(end);

      const h = rmsNorm(x, w.inputNorm, T, H, eps);
      const qkv = linear(h, T, H, w.qkv, qkvSize, w.qkvBias);
      const q = new Float32Array(T * qSize);
      for (let t = 0; t < T; t++) {
        const row = qkv.subarray(t * qkvSize, (t + 1) * qkvSize);
        q.set(row.subarray(0, qSize), t * qSize);
        cache.k.set(row.subarray(qSize, qSize + kvSize), (start + t) * kvSize);
        cache.v.set(row.subarray(qSize + kvSize), (start + t) * kvSize);
      }
      const newK = cache.k.subarray(start * kvSize, end * kvSize);
      if (w.qNorm) q.set(rmsNorm(q, w.qNorm, T * numHeads, D, eps));
      if (w.kNorm) newK.set(rmsNorm(newK, w.kNorm, T * numKvHeads, D, eps));
      for (let t = 0; t < T; t++) {
        const { cos, sin } = ropeCosSin(spec.rope, start + t, end);
        applyRopeAt(q, t * qSize, numHeads, D, cos, sin);
        applyRopeAt(newK, t * kvSize, numKvHeads, D, cos, sin);
      }

      const attn = attention(q, cache.k.subarray(0, end * kvSize), cache.v.subarray(0, end * kvSize), T, end, {
        numHeads,
        numKvHeads,
        headDim: D,
        scale: c.attnScale,
        softcap: c.attnSoftcap,
        slidingWindow: spec.slidingWindow,
      });
      let o = linear(attn, T, qSize, w.o, H);
      if (c.sandwichNorms) o = rmsNorm(o, w.postAttnNorm, T, H, eps);
      for (let i = 0; i < x.length; i++) x[i] += o[i];

      const mlpIn = rmsNorm(x, c.sandwichNorms ? w.preFfnNorm! : w.postAttnNorm, T, H, eps);
      let m = gatedMlp(mlpIn, T, H, w.gateUp, w.down, I, c.activation);
      if (c.sandwichNorms) m = rmsNorm(m, w.postFfnNorm!, T, H, eps);
      for (let i = 0; i < x.length; i++) x[i] += m[i];
    }
    this.cached = end;
    this.history.push(...tokens);
    return rmsNorm(x, this.w.finalNorm, T, H, eps);
  }

  private logits(hidden: Float32Array, rows: number): Float32Array {
    const out = linear(hidden, rows, this.cfg.hiddenSize, this.w.lmHead, this.cfg.vocabSize);
    return this.cfg.finalSoftcap === null ? out : softcapInPlace(out, this.cfg.finalSoftcap);
  }
}
