/**
 * `compile --device webgpu`: mlc-chat-config.json -> the same static plan as the cpu target
 *   (lower/lower.ts) -> WGSL + plan (render/library-wgsl.ts) -> `<lib>.mjs` + `<lib>.mjs.json` (manifest),
 * both written atomically. No toolchain runs: the shaders are compiled by the browser / Dawn at load time,
 * which the tests exercise (core/webgpu/*.test.ts).
 */
import * as path from 'node:path';
import { NxMlcError } from '../support/errors';
import { writeFileAtomic } from '../support/atomic';
import { parseOverrides, resolveCompileConfig } from './config';
import { compilerArch } from './lower/archs/registry';
import { quantScheme } from './lower/quant';
import { lowerModel, type LowerOptions } from './lower/lower';
import type { Plan } from './lower/plan';
import type { ModelDims } from './lower/model-dims';
import { renderLibraryWgsl } from './render/library-wgsl';
import { isWebgpuDevice } from './targets-webgpu';
import type { CompileOptions, CompileResult } from './compile';
import { webgpuLibraryModule, type WebgpuLibrary } from '../webgpu/artifact';
import { sha256, libraryMetadata } from './common';



export interface LoweredWebgpu {
  plan: Plan;
  dims: ModelDims;
  library: WebgpuLibrary;
  module: string;
}

/** Everything up to the module text, without touching the disk. O0 drops the decode GEMV variants. */
export function lowerToWebgpu(
  chatConfigPath: string,
  overrides: Record<string, number>,
  opt = 'O2',
  invFreqDtype: LowerOptions['invFreqDtype'] = 'float32',
): LoweredWebgpu {
  const cfg = resolveCompileConfig(chatConfigPath, overrides);
  const arch = compilerArch(cfg.modelType, cfg.file);
  const q = quantScheme(cfg.quantization, cfg.file);
  const dims = arch.dims(cfg.modelConfig, cfg.file);
  const plan = lowerModel(dims, arch.names, q, { gemv: opt.toUpperCase() !== 'O0', invFreqDtype });
  const base = libraryMetadata('webgpu', cfg, dims, plan, {}, invFreqDtype !== 'float32' ? { rope_inv_freq_dtype: invFreqDtype } : {});
  const first = renderLibraryWgsl(plan, { metadata: base, dims });
  const kernels: Record<string, string> = {};
  for (const [name, src] of first.sources) kernels[name] = sha256(src);
  const library = { ...first.library, metadata: { ...base, kernels } };
  return { plan, dims, library, module: webgpuLibraryModule(library) };
}

export function compileWebgpu(opts: CompileOptions): CompileResult {
  const device = opts.device ?? 'webgpu';
  if (!isWebgpuDevice(device)) throw new NxMlcError(`"${device}" is not a webgpu device`, { field: 'device', fix: 'use --device webgpu' });
  const opt = (opts.opt ?? 'O2').toUpperCase();
  if (!['O0', 'O1', 'O2', 'O3'].includes(opt)) throw new NxMlcError(`unsupported --opt "${opts.opt}"`, { field: 'opt', fix: 'use O0, O1, O2 (default) or O3' });
  const lowered = lowerToWebgpu(opts.chatConfigPath, parseOverrides(opts.overrides), opt, opts.ropeInvFreqDtype ?? 'float32');
  let output = path.resolve(opts.output);
  if (!/\.m?js$/.test(output)) output = `${output.replace(/\.(wasm|so)$/, '')}.mjs`;
  if (opts.debugDumpDir) {
    for (const [name, k] of Object.entries(lowered.library.kernels)) writeFileAtomic(path.join(opts.debugDumpDir, `${name}.wgsl`), k.code.packed);
  }
  writeFileAtomic(output, lowered.module);
  const manifest = {
    ...lowered.library.metadata,
    build: { device, opt, toolchain: 'none (WGSL is compiled by the WebGPU implementation at load time)', module_sha256: sha256(lowered.module) },
  };
  const manifestPath = `${output}.json`;
  writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 2));
  return { library: output, manifest: manifestPath, metadata: lowered.library.metadata, cacheHit: false };
}
