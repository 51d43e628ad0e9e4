import { NxMlcError } from '../support/errors';
import type { OpenModel } from './open-model';
import { Sampler, SamplingParams } from './sampler';
import { StopStringFilter } from './stop-strings';

/**
 * The generation loop over one model instance: keeps track of the tokens in the KV cache so that a chat
 * turn only prefills what is new, prefills in chunks of prefill_chunk_size, samples, detokenises
 * incrementally, and stops on stop tokens, stop strings, max tokens or a full context window.
 */

export interface GenerateRequest {
  /** The whole token sequence the model should have seen before it speaks (history included). */
  promptTokens: readonly number[];
  maxTokens: number;
  sampling: SamplingParams;
  seed?: number;
  stopTokenIds?: readonly number[];
  stopStrings?: readonly string[];
  /** Receives text as soon as it is safe to show (complete characters, not a possible stop-string start). */
  onText?: (text: string) => void;
}

export type FinishReason = 'stop' | 'length' | 'context';

export interface GenerateResult {
  text: string;
  /** Generated tokens (a stop token that ended generation included). */
  tokens: number[];
  finishReason: FinishReason;
  prefillTokens: number;
  prefillSeconds: number;
  decodeTokens: number;
  decodeSeconds: number;
  prefillTokS: number;
  decodeTokS: number;
}

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

export function tokensPerSecond(tokens: number, secs: number): number {
  return tokens > 0 && secs > 0 ? tokens / secs : 0;
}

export class Session {
  /** Tokens currently in the KV cache, in order. */
  private kv: number[] = [];

  /** A session owns the instance's sequence: it starts from an empty cache. */
  constructor(readonly model: OpenModel) {
    model.instance.reset();
  }

  get kvTokens(): readonly number[] {
    return this.kv;
  }

  reset(): void {
    this.model.instance.reset();
    this.kv = [];
  }

  /** Prefill `tokens` in chunks (appending to the cache); returns all logits [n,V] or the last token's [V]. */
  prefill(tokens: readonly number[], allLogits = false): Float32Array {
    this.ensureRoom(tokens.length);
    const V = this.model.instance.vocabSize;
    const chunk = this.model.prefillChunkSize;
    const all = allLogits ? new Float32Array(tokens.length * V) : null;
    let last: Float32Array = new Float32Array(V);
    for (let i = 0; i < tokens.length; i += chunk) {
      const piece = tokens.slice(i, i + chunk);
      const out = this.model.instance.prefill(piece, allLogits);
      this.kv.push(...piece);
      if (all) all.set(out, i * V);
      else last = out;
    }
    return all ?? last;
  }

  decode(token: number): Float32Array {
    this.ensureRoom(1);
    const out = this.model.instance.decode(token);
    this.kv.push(token);
    return out;
  }

  private ensureRoom(n: number): void {
    const ctx = this.model.contextWindowSize;
    if (ctx > 0 && this.kv.length + n > ctx) {
      throw new NxMlcError(`The prompt needs ${this.kv.length + n} tokens but the context window holds ${ctx}`, {
        field: 'context_window_size',
        fix: 'Shorten the prompt (in chat: /reset), or use a model compiled with a larger context window.',
      });
    }
  }

  /** Bring the cache to `tokens`, reusing it when it already holds a proper prefix; returns the last logits. */
  private sync(tokens: readonly number[]): { logits: Float32Array; fed: number } {
    if (tokens.length === 0) throw new Error('generate: the prompt has no tokens');
    const reusable =
      this.model.instance.seqLen() === this.kv.length && this.kv.length < tokens.length && this.kv.every((t, i) => tokens[i] === t);
    if (!reusable) this.reset();
    const rest = tokens.slice(this.kv.length);
    return { logits: this.prefill(rest), fed: rest.length };
  }

  async generate(req: GenerateRequest): Promise<GenerateResult> {
    const tok = this.model.tokenizer;
    const sampler = new Sampler(req.sampling, this.model.activeVocabSize, req.seed ?? 0);
    const stopIds = new Set(req.stopTokenIds ?? []);
    const filter = new StopStringFilter(req.stopStrings ?? []);
    const streamer = tok?.streamer();
    let text = '';
    const emit = (t: string): void => {
      if (!t) return;
      text += t;
      req.onText?.(t);
    };

    const t0 = process.hrtime.bigint();
    let { logits, fed } = this.sync(req.promptTokens);
    const prefillSeconds = seconds(t0);

    const tokens: number[] = [];
    let finishReason: FinishReason = 'length';
    let decodeSeconds = 0;
    let decodeTokens = 0;
    const ctx = this.model.contextWindowSize;
    for (let step = 0; step < req.maxTokens; step++) {
      const next = sampler.sample(logits);
      sampler.accept(next);
      tokens.push(next);
      if (stopIds.has(next)) {
        finishReason = 'stop';
        break;
      }
      if (streamer) emit(filter.push(streamer.put(next)));
      if (filter.stopped) {
        finishReason = 'stop';
        break;
      }
      if (step + 1 === req.maxTokens) break;
      if (ctx > 0 && this.kv.length >= ctx) {
        finishReason = 'context';
        break;
      }
      const t1 = process.hrtime.bigint();
      logits = this.decode(next);
      decodeSeconds += seconds(t1);
      decodeTokens++;
      // Let streamed text reach the terminal between tokens (the native call blocks the event loop).
      if (req.onText) await new Promise((r) => setImmediate(r));
    }
    if (streamer && !filter.stopped) emit(filter.push(streamer.finish()));
    emit(filter.flush());
    return {
      text,
      tokens,
      finishReason,
      prefillTokens: fed,
      prefillSeconds,
      decodeTokens,
      decodeSeconds,
      prefillTokS: tokensPerSecond(fed, prefillSeconds),
      decodeTokS: tokensPerSecond(decodeTokens, decodeSeconds),
    };
  }
}
