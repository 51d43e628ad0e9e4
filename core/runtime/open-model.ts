import { NxMlcError } from '../support/errors';
import { checkAgreement } from './agreement';
import { readChatConfig, RuntimeChatConfig } from './chat-config';
import { ModelInstance, ModelLibrary } from './library';
import { checkShards, readTensorCache } from './tensor-cache';
import { loadTokenizer, RuntimeTokenizer } from './tokenizer';
import { loadWeights } from './weights';

/**
 * Everything a run needs, opened in the order that fails cheapest first: config and index files, the
 * library's metadata, the agreement checks, shard sizes; only then the weights are read.
 */

export interface OpenModelOptions {
  modelDir: string;
  modelLib: string;
  numThreads?: number;
  /** Runtime context window (≤ the compiled one); default: the smaller of library and chat config. */
  contextWindowSize?: number;
  /** Load the tokenizer (default true); a reference-only validation can run without one. */
  tokenizer?: boolean;
}

export interface OpenModel {
  library: ModelLibrary;
  instance: ModelInstance;
  config: RuntimeChatConfig;
  tokenizer: RuntimeTokenizer | null;
  contextWindowSize: number;
  prefillChunkSize: number;
  activeVocabSize: number;
  weightLoadSeconds: number;
  close(): void;
}

function positive(...xs: (number | undefined)[]): number[] {
  return xs.filter((x): x is number => typeof x === 'number' && x > 0);
}

export function openModel(opts: OpenModelOptions): OpenModel {
  const config = readChatConfig(opts.modelDir);
  const cache = readTensorCache(opts.modelDir);
  const library = ModelLibrary.load(opts.modelLib);
  const meta = library.metadata;
  checkAgreement({ libPath: opts.modelLib, meta, config, cache });
  checkShards(cache);
  const tokenizer = opts.tokenizer === false ? null : loadTokenizer(opts.modelDir, config.tokenizer_info, meta.vocab_size);

  const ctxCandidates = positive(meta.context_window_size, config.context_window_size, opts.contextWindowSize);
  const contextWindowSize = ctxCandidates.length ? Math.min(...ctxCandidates) : 0;
  if (opts.contextWindowSize !== undefined && meta.context_window_size > 0 && opts.contextWindowSize > meta.context_window_size) {
    throw new NxMlcError(`Context window ${opts.contextWindowSize} is larger than the library's compiled maximum ${meta.context_window_size}`, {
      file: opts.modelLib,
      field: 'context_window_size',
      fix: `Pass at most ${meta.context_window_size}, or recompile with a larger --context-window-size in gen-config.`,
    });
  }
  const prefillChunkSize = Math.min(...positive(meta.prefill_chunk_size, config.prefill_chunk_size, contextWindowSize || undefined), 2 ** 31 - 1);
  const instance = library.create({ numThreads: opts.numThreads, contextWindowSize });
  const t0 = process.hrtime.bigint();
  try {
    loadWeights(instance, cache, meta.params);
  } catch (e) {
    instance.destroy();
    throw e;
  }
  const weightLoadSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    library,
    instance,
    config,
    tokenizer,
    contextWindowSize,
    prefillChunkSize,
    // The library may be compiled with a padded vocabulary: never sample beyond the tokenizer's.
    activeVocabSize: Math.min(meta.active_vocab_size || meta.vocab_size, config.active_vocab_size || meta.vocab_size),
    weightLoadSeconds,
    close: () => instance.destroy(),
  };
}
