import { NxMlcError } from '../support/errors';
import type { LibraryMetadata } from './library';
import type { RuntimeChatConfig } from './chat-config';
import type { TensorCache } from './tensor-cache';

/**
 * Before any weight is read: do the library, mlc-chat-config.json and tensor-cache.json describe the same
 * model? Each disagreement is an NxMlcError naming the files, the field and the fix, because the usual
 * cause is a stale artifact (weights converted for one quantization, library compiled for another).
 */

/** model_config fields a runtime may legitimately choose differently from the compiled library. */
const RUNTIME_CHOSEN = new Set([
  'context_window_size', 'prefill_chunk_size', 'sliding_window_size', 'attention_sink_size', 'max_batch_size',
  'tensor_parallel_shards', 'pipeline_parallel_stages', 'disaggregation',
]);

const RECOMPILE = 'Compile the library from this mlc-chat-config.json (`nx-mlc compile <dir>/mlc-chat-config.json --device cpu -o <lib>`), or pass the library built for it.';
const RECONVERT = 'Run gen-config, convert-weight and compile with the same model and --quantization, into the same output directory.';

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface AgreementInput {
  libPath: string;
  meta: LibraryMetadata;
  config: RuntimeChatConfig;
  cache: TensorCache;
}

export function checkAgreement({ libPath, meta, config, cache }: AgreementInput): void {
  const both = `${config.file} and ${libPath}`;
  if (meta.quantization !== config.quantization) {
    throw new NxMlcError(`The weights are ${config.quantization} but the library was compiled for ${meta.quantization}`, {
      file: both,
      field: 'quantization',
      fix: RECOMPILE,
    });
  }
  if (meta.model_type !== config.model_type) {
    throw new NxMlcError(`The model is ${config.model_type} but the library was compiled for ${meta.model_type}`, {
      file: both,
      field: 'model_type',
      fix: RECOMPILE,
    });
  }
  for (const [key, libValue] of Object.entries(meta.model_config)) {
    if (RUNTIME_CHOSEN.has(key) || !(key in config.model_config)) continue;
    if (!same(libValue, config.model_config[key])) {
      throw new NxMlcError(
        `model_config.${key} is ${JSON.stringify(config.model_config[key])} in the chat config but the library was compiled for ${JSON.stringify(libValue)}`,
        { file: both, field: `model_config.${key}`, fix: RECOMPILE },
      );
    }
  }
  if (meta.vocab_size !== config.vocab_size) {
    throw new NxMlcError(`vocab_size is ${config.vocab_size} in the chat config but ${meta.vocab_size} in the library`, {
      file: both,
      field: 'vocab_size',
      fix: RECOMPILE,
    });
  }
  for (const p of meta.params) {
    const rec = cache.records.get(p.name);
    if (!rec) {
      throw new NxMlcError(`The weights lack the param ${p.name} (${p.dtype} ${JSON.stringify(p.shape)}) that the library needs`, {
        file: `${cache.file} (library ${libPath})`,
        field: p.name,
        fix: RECONVERT,
      });
    }
    if (!same(rec.shape, p.shape)) {
      throw new NxMlcError(`Param ${p.name} has shape ${JSON.stringify(rec.shape)} in the weights but the library expects ${JSON.stringify(p.shape)}`, {
        file: `${cache.file} (library ${libPath})`,
        field: p.name,
        fix: RECONVERT,
      });
    }
    if (rec.dtype !== p.dtype) {
      throw new NxMlcError(`Param ${p.name} is ${rec.dtype} in the weights but the library expects ${p.dtype}`, {
        file: `${cache.file} (library ${libPath})`,
        field: p.name,
        fix: RECONVERT,
      });
    }
  }
}
