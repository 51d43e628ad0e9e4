import * as fs from 'node:fs';
import koffi, { type LibraryHandle } from 'koffi';
import { NxMlcError } from '../support/errors';

/**
 * Loads a compiled model library (C ABI v1, native/include/nxmlc_abi.h) through koffi and wraps its
 * functions in a small typed surface. The manifest `<lib>.json` beside the library is read first, so a
 * missing or foreign file fails with a clear message before any native code runs.
 */

export const NXMLC_ABI_VERSION = 1;

export interface ParamSpec {
  name: string;
  shape: number[];
  dtype: string;
}

/** The library's `nxmlc_metadata()` JSON (the manifest holds the same object plus build details). */
export interface LibraryMetadata {
  abi_version: number;
  model_type: string;
  quantization: string;
  target: string;
  model_config: Record<string, unknown>;
  model_config_hash: string;
  vocab_size: number;
  active_vocab_size: number;
  context_window_size: number;
  prefill_chunk_size: number;
  sliding_window_size: number;
  params: ParamSpec[];
  compiler_version: string;
  kernels: Record<string, string>;
}

interface AbiFunctions {
  metadata: () => string;
  create: (threads: number, ctx: number, err: Buffer, errLen: number) => unknown;
  setParam: (m: unknown, name: string, dtype: string, shape: BigInt64Array, ndim: number, data: Uint8Array, nbytes: number) => number;
  finalize: (m: unknown) => number;
  prefill: (m: unknown, tokens: Int32Array, n: number, out: Float32Array, all: number) => number;
  decode: (m: unknown, token: number, out: Float32Array) => number;
  seqLen: (m: unknown) => number;
  reset: (m: unknown) => void;
  destroy: (m: unknown) => void;
  lastError: (m: unknown) => string;
}

export function manifestPathOf(libPath: string): string {
  return `${libPath}.json`;
}

function bind(lib: LibraryHandle): AbiFunctions {
  // The instance handle stays an opaque `void *` on the JS side.
  return {
    metadata: lib.func('const char *nxmlc_metadata()') as AbiFunctions['metadata'],
    create: lib.func('void *nxmlc_create(int32_t num_threads, int32_t context_window_size, _Out_ uint8_t *err, int32_t err_len)') as AbiFunctions['create'],
    setParam: lib.func(
      'int32_t nxmlc_set_param(void *m, const char *name, const char *dtype, const int64_t *shape, int32_t ndim, const void *data, int64_t nbytes)',
    ) as AbiFunctions['setParam'],
    finalize: lib.func('int32_t nxmlc_finalize(void *m)') as AbiFunctions['finalize'],
    prefill: lib.func('int32_t nxmlc_prefill(void *m, const int32_t *tokens, int32_t n, _Out_ float *logits_out, int32_t all_logits)') as AbiFunctions['prefill'],
    decode: lib.func('int32_t nxmlc_decode(void *m, int32_t token, _Out_ float *logits_out)') as AbiFunctions['decode'],
    seqLen: lib.func('int32_t nxmlc_seq_len(void *m)') as AbiFunctions['seqLen'],
    reset: lib.func('void nxmlc_reset(void *m)') as AbiFunctions['reset'],
    destroy: lib.func('void nxmlc_destroy(void *m)') as AbiFunctions['destroy'],
    lastError: lib.func('const char *nxmlc_last_error(void *m)') as AbiFunctions['lastError'],
  };
}

/** A loaded model library: its metadata and a factory for instances. */
export class ModelLibrary {
  private constructor(
    readonly path: string,
    readonly metadata: LibraryMetadata,
    readonly manifest: Record<string, unknown>,
    private readonly fns: AbiFunctions,
  ) {}

  static load(libPath: string): ModelLibrary {
    if (!fs.existsSync(libPath)) {
      throw new NxMlcError('The model library does not exist', { file: libPath, fix: 'Run `nx-mlc compile` first, or pass the right path with --model-lib.' });
    }
    const manifestFile = manifestPathOf(libPath);
    if (!fs.existsSync(manifestFile)) {
      throw new NxMlcError('The model library has no manifest beside it', {
        file: manifestFile,
        fix: 'Keep the `<lib>.json` that `nx-mlc compile` writes next to the library (copy both files together), or recompile.',
      });
    }
    let manifest: Record<string, unknown>;
    try {
      manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    } catch {
      throw new NxMlcError('The library manifest is not valid JSON', { file: manifestFile, fix: 'Recompile the library with `nx-mlc compile`.' });
    }
    if (manifest.abi_version !== NXMLC_ABI_VERSION) {
      throw new NxMlcError(`The library uses C ABI version ${String(manifest.abi_version)}, this runtime speaks version ${NXMLC_ABI_VERSION}`, {
        file: manifestFile,
        field: 'abi_version',
        fix: 'Recompile the library with this version of nx-mlc.',
      });
    }
    let handle: LibraryHandle;
    try {
      handle = koffi.load(libPath);
    } catch (e) {
      throw new NxMlcError(`The model library cannot be loaded: ${(e as Error).message}`, {
        file: libPath,
        fix: 'Check that it was compiled for this platform (the manifest says which target) and recompile if needed.',
      });
    }
    let fns: AbiFunctions;
    try {
      fns = bind(handle);
    } catch (e) {
      throw new NxMlcError(`The library does not export the nx-mlc C ABI: ${(e as Error).message}`, {
        file: libPath,
        fix: 'Pass a library built by `nx-mlc compile` (MLC-LLM`s own TVM libraries are not loadable here).',
      });
    }
    let metadata: LibraryMetadata;
    try {
      metadata = JSON.parse(fns.metadata());
    } catch {
      throw new NxMlcError('nxmlc_metadata() did not return valid JSON', { file: libPath, fix: 'Recompile the library with `nx-mlc compile`.' });
    }
    if (metadata.abi_version !== NXMLC_ABI_VERSION) {
      throw new NxMlcError(`The library reports C ABI version ${String(metadata.abi_version)}, this runtime speaks version ${NXMLC_ABI_VERSION}`, {
        file: libPath,
        field: 'abi_version',
        fix: 'Recompile the library with this version of nx-mlc.',
      });
    }
    return new ModelLibrary(libPath, metadata, manifest, fns);
  }

  /** A fresh instance: no params, empty sequence. */
  create(opts: { numThreads?: number; contextWindowSize?: number } = {}): ModelInstance {
    const err = Buffer.alloc(1024);
    const m = this.fns.create(opts.numThreads ?? 0, opts.contextWindowSize ?? 0, err, err.length);
    if (!m) {
      const msg = err.subarray(0, Math.max(0, err.indexOf(0))).toString('utf8') || 'unknown error';
      throw new NxMlcError(`The model library could not create an instance: ${msg}`, {
        file: this.path,
        fix: 'Check --context-window-size against the compiled maximum in the manifest.',
      });
    }
    return new ModelInstance(this, this.fns, m);
  }
}

/** Thrown when the native side reports an error (a bug or a resource problem, not bad user input). */
export class NativeError extends Error {
  constructor(readonly fn: string, readonly code: number, detail: string) {
    super(`${fn} failed (code ${code}): ${detail || 'no message'}`);
    this.name = 'NativeError';
  }
}

export class ModelInstance {
  private destroyed = false;

  constructor(readonly library: ModelLibrary, private readonly fns: AbiFunctions, private readonly handle: unknown) {}

  get vocabSize(): number {
    return this.library.metadata.vocab_size;
  }

  private check(fn: string, code: number): void {
    if (code !== 0) throw new NativeError(fn, code, this.fns.lastError(this.handle));
  }

  private alive(): unknown {
    if (this.destroyed) throw new Error('The model instance was destroyed');
    return this.handle;
  }

  setParam(name: string, dtype: string, shape: readonly number[], data: Uint8Array): void {
    const code = this.fns.setParam(this.alive(), name, dtype, BigInt64Array.from(shape.map(BigInt)), shape.length, data, data.byteLength);
    this.check(`nxmlc_set_param(${name})`, code);
  }

  finalize(): void {
    this.check('nxmlc_finalize', this.fns.finalize(this.alive()));
  }

  /** Append tokens; returns [n, V] logits when allLogits, else the last token's [V]. */
  prefill(tokens: readonly number[], allLogits = false): Float32Array {
    const out = new Float32Array((allLogits ? tokens.length : 1) * this.vocabSize);
    this.check('nxmlc_prefill', this.fns.prefill(this.alive(), Int32Array.from(tokens), tokens.length, out, allLogits ? 1 : 0));
    return out;
  }

  decode(token: number): Float32Array {
    const out = new Float32Array(this.vocabSize);
    this.check('nxmlc_decode', this.fns.decode(this.alive(), token, out));
    return out;
  }

  seqLen(): number {
    return this.fns.seqLen(this.alive());
  }

  reset(): void {
    this.fns.reset(this.alive());
  }

  lastError(): string {
    return this.fns.lastError(this.alive());
  }

  destroy(): void {
    if (this.destroyed) return;
    this.fns.destroy(this.handle);
    this.destroyed = true;
  }
}
