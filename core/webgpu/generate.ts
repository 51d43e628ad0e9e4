/**
 * Generation on the webgpu host, shared by the web page and Node: chunked prefill, decode loop, MLC
 * sampling (core/runtime/sampler.ts), stop tokens and stop strings (core/runtime/stop-strings.ts),
 * streamed text, and timings (prefill and decode tok/s). Browser-safe.
 */
import { Sampler, type SamplingParams } from '../runtime/sampler';
import { StopStringFilter } from '../runtime/stop-strings';
import type { WebgpuModel } from './model';
import type { WebTokenizer } from './tokenizer';

export interface WebGenerateRequest {
  prompt: number[];
  maxTokens: number;
  sampling: SamplingParams;
  stopTokenIds?: number[];
  stopStrings?: string[];
  seed?: number;
  /** Called with each piece of visible text and the running decode tok/s. */
  onText?: (text: string, stats: WebGenerateStats) => void;
  /** Checked between tokens; true stops the generation. */
  cancelled?: () => boolean;
}

export interface WebGenerateStats {
  promptTokens: number;
  generatedTokens: number;
  prefillSeconds: number;
  decodeSeconds: number;
  prefillTokPerSec: number;
  decodeTokPerSec: number;
}

export interface WebGenerateResult extends WebGenerateStats {
  tokens: number[];
  text: string;
  finish: 'stop' | 'length' | 'context' | 'cancelled';
}

const now = () => (globalThis.performance ?? Date).now() / 1000;
const rate = (n: number, s: number) => (s > 0 ? n / s : 0);

/** Run one request from an empty KV cache (the page keeps no history between requests of a base model). */
export async function generate(model: WebgpuModel, tok: WebTokenizer, req: WebGenerateRequest, activeVocab = model.vocab): Promise<WebGenerateResult> {
  if (req.prompt.length === 0) throw new Error('the prompt encodes to no tokens');
  if (req.prompt.length >= model.contextWindow) {
    throw new Error(`the prompt has ${req.prompt.length} tokens, the context window ${model.contextWindow}: shorten it (or clear the conversation)`);
  }
  model.reset();
  const sampler = new Sampler(req.sampling, activeVocab, req.seed ?? 0);
  const filter = new StopStringFilter(req.stopStrings ?? []);
  const streamer = tok.streamer();
  const stopIds = new Set(req.stopTokenIds ?? []);
  const tokens: number[] = [];
  let text = '';
  const t0 = now();
  let logits = await model.prefill(req.prompt);
  const t1 = now();
  const stats = (): WebGenerateStats => {
    const decodeSeconds = now() - t1;
    return {
      promptTokens: req.prompt.length,
      generatedTokens: tokens.length,
      prefillSeconds: t1 - t0,
      decodeSeconds,
      prefillTokPerSec: rate(req.prompt.length, t1 - t0),
      // The first token comes from the prefill's logits; decode speed counts the forwards after it.
      decodeTokPerSec: rate(Math.max(0, tokens.length - 1), decodeSeconds),
    };
  };
  let finish: WebGenerateResult['finish'] = 'length';
  while (tokens.length < req.maxTokens) {
    if (req.cancelled?.()) {
      finish = 'cancelled';
      break;
    }
    const t = sampler.sample(logits);
    if (stopIds.has(t)) {
      finish = 'stop';
      break;
    }
    sampler.accept(t);
    tokens.push(t);
    const piece = filter.push(streamer.put(t));
    text += piece;
    if (piece) req.onText?.(piece, stats());
    if (filter.stopped) {
      finish = 'stop';
      break;
    }
    if (tokens.length >= req.maxTokens) break;
    if (model.position >= model.contextWindow) {
      finish = 'context';
      break;
    }
    logits = (await model.forward([t])).logits;
  }
  const tail = filter.stopped ? '' : filter.push(streamer.finish()) + filter.flush();
  text += tail;
  if (tail) req.onText?.(tail, stats());
  return { ...stats(), tokens, text, finish };
}
