/**
 * `compile`: mlc-chat-config.json + device + opt level -> one native library and its manifest.
 *   config resolution (config.ts) -> architecture dims (lower/archs) -> static plan (lower/lower.ts)
 *   -> C++ (render/) -> g++ (toolchain/gxx.ts) -> <lib> + <lib>.json, both written atomically.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NxMlcError } from '../support/errors';
import { writeFileAtomic } from '../support/atomic';
import { parseOverrides, resolveCompileConfig } from './config';
import { resolveDevice } from './targets';
import { compilerArch } from './lower/archs/registry';
import { quantScheme } from './lower/quant';
import { lowerModel, type LowerOptions } from './lower/lower';
import { renderLibraryCpp } from './render/library-cpp';
import { buildSharedLibrary, gxxFlags, type OptLevel } from './toolchain/gxx';
import type { Plan } from './lower/plan';
import { compileCuda } from './compile-cuda';
import { compileWebgpu } from './compile-webgpu';
import { sha256, normalizeOpt, libraryMetadata, packageRoot } from './common';

export interface CompileOptions {
  /** mlc-chat-config.json, or the directory holding it. */
  chatConfigPath: string;
  /** MLC --device: cpu (alias llvm; cpu:native for -march=native). Other targets fail clearly. */
  device?: string;
  opt?: OptLevel | string;
  /** "context_window_size=4096;prefill_chunk_size=512", or the same as an object. */
  overrides?: string | Record<string, number>;
  /** Library path (…/model-cpu.so); the manifest is written next to it as <lib>.json. */
  output: string;
  /** Also write the generated C++ here (debugging, golden snapshots). */
  debugDumpDir?: string;
  /** Not an MLC flag: see LowerOptions.invFreqDtype (default float32, MLC's behaviour). */
  ropeInvFreqDtype?: LowerOptions['invFreqDtype'];
}

export interface CompileResult {
  library: string;
  manifest: string;
  metadata: Record<string, unknown>;
  cacheHit: boolean;
}


export { compilerVersion, packageRoot } from './common';



export interface LoweredLibrary {
  plan: Plan;
  source: string;
  metadata: Record<string, unknown>;
}

/** Everything up to the C++ source, without touching the disk (used by compile and by tests). */
export function lowerToCpp(
  chatConfigPath: string,
  overrides: Record<string, number>,
  opt: OptLevel = 'O2',
  invFreqDtype: LowerOptions['invFreqDtype'] = 'float32',
): LoweredLibrary {
  const cfg = resolveCompileConfig(chatConfigPath, overrides);
  const arch = compilerArch(cfg.modelType, cfg.file);
  const q = quantScheme(cfg.quantization, cfg.file);
  const dims = arch.dims(cfg.modelConfig, cfg.file);
  // O3 trades exactness for speed: int8 activations in the q4 decode GEMVs (see LowerOptions).
  const plan = lowerModel(dims, arch.names, q, { gemv: opt !== 'O0', invFreqDtype, int8Activations: opt === 'O3' });
  // O0: the plain IR loops only (no threads, no vector hints, no hand-written fast paths), for debugging.
  const renderOpts = { parallel: opt !== 'O0', vectorize: opt !== 'O0' };
  const extras = { intrinsics: opt !== 'O0' };
  const first = renderLibraryCpp(plan, { metadataJson: '{}', vocab: dims.vocab, contextWindow: dims.contextWindow, prefillChunk: dims.prefillChunk }, renderOpts, extras);
  const kernels: Record<string, string> = {};
  for (const [name, src] of first.kernels) kernels[name] = sha256(src);
  const metadata = libraryMetadata('cpu', cfg, dims, plan, kernels, invFreqDtype !== 'float32' ? { rope_inv_freq_dtype: invFreqDtype } : {});
  const { source } = renderLibraryCpp(plan, { metadataJson: JSON.stringify(metadata), vocab: dims.vocab, contextWindow: dims.contextWindow, prefillChunk: dims.prefillChunk }, renderOpts, extras);
  return { plan, source, metadata };
}

/** The one compile entry point: dispatches on the target registry (cpu here; cuda and webgpu in their files). */
export function compile(opts: CompileOptions): CompileResult {
  const device = resolveDevice(opts.device ?? 'cpu');
  if (device.target.name === 'cuda') return compileCuda(opts);
  if (device.target.name === 'webgpu') return compileWebgpu(opts);
  const opt = normalizeOpt(opts.opt);
  const overrides = parseOverrides(opts.overrides);
  const lowered = lowerToCpp(opts.chatConfigPath, overrides, opt, opts.ropeInvFreqDtype ?? 'float32');
  const root = packageRoot();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-compile-'));
  try {
    const genFile = path.join(work, 'model.cpp');
    fs.writeFileSync(genFile, lowered.source);
    if (opts.debugDumpDir) writeFileAtomic(path.join(opts.debugDumpDir, 'model.cpp'), lowered.source);
    const flags = gxxFlags(opt, device.variant);
    const output = path.resolve(opts.output);
    // A manifest left from an earlier build must never describe the new library, even if we die midway.
    fs.rmSync(`${output}.json`, { force: true });
    const build = buildSharedLibrary({
      sources: [genFile, path.join(root, 'native', 'cpu', 'nx_runtime.cpp')],
      includeDirs: [path.join(root, 'native', 'include'), path.join(root, 'native', 'cpu')],
      flags,
      output,
    });
    const manifest = {
      ...lowered.metadata,
      build: {
        device: opts.device ?? 'cpu',
        variant: device.variant,
        opt,
        command: build.command.map((a) => (a === genFile ? '<generated>/model.cpp' : a)),
        toolchain: build.compiler.version,
        source_sha256: sha256(lowered.source),
        build_sha256: build.buildHash,
      },
    };
    const manifestPath = `${output}.json`;
    writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 2));
    return { library: output, manifest: manifestPath, metadata: lowered.metadata, cacheHit: build.cacheHit };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
