import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canonical } from '../../schema/canonical-json';
import { NxMlcError } from '../support/errors';
import type { ResolvedConfig } from './config';
import type { ModelDims } from './lower/model-dims';
import type { Plan } from './lower/plan';
import { TVM_DTYPE } from './lower/quant';

/** What every target's compile driver shares: hashing for manifests and the --opt grammar. */

export type OptLevel = 'O0' | 'O1' | 'O2' | 'O3';

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The manifest's `model_config_hash`: sha256 of the model_config as stable JSON (sorted keys). */
export const modelConfigHash = (modelConfig: unknown): string => sha256(canonical(modelConfig));

export function normalizeOpt(opt: string | undefined): OptLevel {
  const o = (opt ?? 'O2').toUpperCase();
  if (o === 'O0' || o === 'O1' || o === 'O2' || o === 'O3') return o;
  throw new NxMlcError(`unsupported --opt "${opt}"`, { field: 'opt', fix: 'use O0, O1, O2 (default) or O3' });
}

/** The repository/package root that holds native/ (works from sources and from dist/). */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'native', 'include', 'nxmlc_abi.h'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new NxMlcError('native/ sources not found next to the nx-mlc package', { fix: 'reinstall nx-mlc' });
    dir = up;
  }
}

export function compilerVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8'));
    return `nx-mlc ${pkg.version}`;
  } catch {
    return 'nx-mlc unknown';
  }
}

/**
 * The library manifest every target writes (and returns from `nxmlc_metadata`): what the runtime checks weights and
 * configs against. `kernels` maps kernel names to the sha256 of their generated source.
 */
export type LibraryMetadata = Record<string, unknown> & { vocab_size: number; context_window_size: number; prefill_chunk_size: number };

export function libraryMetadata(target: string, cfg: ResolvedConfig, dims: ModelDims, plan: Plan, kernels: Record<string, string>, extra: Record<string, unknown> = {}): LibraryMetadata {
  return {
    abi_version: 1,
    model_type: cfg.modelType,
    quantization: cfg.quantization,
    target,
    model_config: cfg.modelConfig,
    model_config_hash: modelConfigHash(cfg.modelConfig),
    vocab_size: dims.vocab,
    active_vocab_size: cfg.activeVocabSize,
    context_window_size: dims.contextWindow,
    prefill_chunk_size: dims.prefillChunk,
    sliding_window_size: dims.slidingWindowSize,
    params: plan.params.map((p) => ({ name: p.name, shape: p.shape, dtype: TVM_DTYPE[p.dtype] })),
    compiler_version: compilerVersion(),
    kernels,
    ...extra,
  };
}
