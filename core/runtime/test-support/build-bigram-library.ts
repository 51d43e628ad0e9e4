import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LibraryMetadata } from '../library';

/**
 * Builds the bigram test library (bigram-model.cpp) with g++ for the runtime's tests, specialised through a
 * generated header, and writes its `<lib>.json` manifest beside it as the real compiler does.
 */

export interface BigramLibraryOptions {
  outDir: string;
  vocabSize: number;
  activeVocabSize?: number;
  contextWindowSize?: number;
  prefillChunkSize?: number;
  modelType?: string;
  quantization?: string;
  abiVersion?: number;
  /** Extra or replaced entries of the metadata (to build deliberately disagreeing libraries). */
  metadataPatch?: Partial<LibraryMetadata>;
  name?: string;
}

const REPO_ROOT = path.resolve(__dirname, '../../..');

/** Why the test library cannot be built here, or null when g++ is available. */
export function whyNoCompiler(): string | null {
  const r = spawnSync('g++', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'g++ is not installed, so the C++ test library cannot be built';
}

export function bigramMetadata(o: BigramLibraryOptions): LibraryMetadata {
  const V = o.vocabSize;
  const meta: LibraryMetadata = {
    abi_version: o.abiVersion ?? 1,
    model_type: o.modelType ?? 'bigram',
    quantization: o.quantization ?? 'q0f32',
    target: 'cpu',
    model_config: { vocab_size: V, context_window_size: o.contextWindowSize ?? 64, prefill_chunk_size: o.prefillChunkSize ?? 16 },
    model_config_hash: 'test',
    vocab_size: V,
    active_vocab_size: o.activeVocabSize ?? V,
    context_window_size: o.contextWindowSize ?? 64,
    prefill_chunk_size: o.prefillChunkSize ?? 16,
    sliding_window_size: -1,
    params: [
      { name: 'next', shape: [V], dtype: 'int32' },
      { name: 'bias', shape: [V], dtype: 'float32' },
      { name: 'gain', shape: [1], dtype: 'float16' },
    ],
    compiler_version: 'bigram-test',
    kernels: {},
  };
  return { ...meta, ...o.metadataPatch };
}

/** Compile the library and return its path (`<outDir>/<name>.so`, manifest `<name>.so.json`). */
export function buildBigramLibrary(o: BigramLibraryOptions): string {
  fs.mkdirSync(o.outDir, { recursive: true });
  const meta = bigramMetadata(o);
  const name = o.name ?? 'bigram';
  const header = [
    `#define BIGRAM_VOCAB ${o.vocabSize}`,
    `#define BIGRAM_CONTEXT ${meta.context_window_size}`,
    // A JSON string literal is a valid C string literal for ASCII text.
    `#define BIGRAM_META_JSON ${JSON.stringify(JSON.stringify(meta))}`,
    '',
  ].join('\n');
  const genDir = path.join(o.outDir, `${name}-gen`);
  fs.mkdirSync(genDir, { recursive: true });
  fs.writeFileSync(path.join(genDir, 'bigram-meta.h'), header);
  const lib = path.join(o.outDir, `${name}.so`);
  execFileSync('g++', [
    '-O1', '-std=c++17', '-shared', '-fPIC', '-fvisibility=hidden',
    '-I', path.join(REPO_ROOT, 'native/include'), '-I', genDir,
    '-o', lib, path.join(__dirname, 'bigram-model.cpp'),
  ], { stdio: 'pipe' });
  fs.writeFileSync(`${lib}.json`, JSON.stringify({ ...meta, build_command: 'g++ bigram-model.cpp', toolchain: 'g++' }, null, 2));
  return lib;
}
