/**
 * `compile --device cuda[:sm_XX]`: mlc-chat-config.json -> the same static plan as the cpu target
 *   (lower/lower.ts) -> CUDA C++ (render/library-cuda.ts) -> nvcc (toolchain/nvcc.ts) -> <lib>.so + <lib>.so.json.
 * The library exports the same C ABI as the cpu target (native/include/nxmlc_abi.h); its metadata says
 * "target":"cuda". Both artifacts are written atomically.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NxMlcError } from '../support/errors';
import { writeFileAtomic } from '../support/atomic';
import { parseOverrides, resolveCompileConfig } from './config';
import { compilerArch } from './lower/archs/registry';
import { quantScheme } from './lower/quant';
import { lowerModel } from './lower/lower';
import type { Plan } from './lower/plan';
import type { ModelDims } from './lower/model-dims';
import { renderLibraryCuda } from './render/library-cuda';
import { buildCudaLibrary, nvccFlags } from './toolchain/nvcc';
import { parseCudaDevice } from './targets-cuda';
import type { CompileOptions, CompileResult } from './compile';
import { sha256, normalizeOpt, libraryMetadata, packageRoot, type OptLevel } from './common';






export interface LoweredCuda {
  plan: Plan;
  dims: ModelDims;
  source: string;
  metadata: Record<string, unknown>;
}

/** Everything up to the CUDA source, without touching the disk. */
export function lowerToCuda(chatConfigPath: string, overrides: Record<string, number>, opt: OptLevel = 'O2'): LoweredCuda {
  const cfg = resolveCompileConfig(chatConfigPath, overrides);
  const arch = compilerArch(cfg.modelType, cfg.file);
  const q = quantScheme(cfg.quantization, cfg.file);
  const dims = arch.dims(cfg.modelConfig, cfg.file);
  const plan = lowerModel(dims, arch.names, q, { gemv: opt !== 'O0' });
  // O0: generic IR path only (bisection); O1: first-generation fast paths; O2 (default) / O3: second-generation
  // kernels (see CudaRenderOptions.v2 and bench/RESULTS.md).
  const renderOpts = { fastPaths: opt !== 'O0', v2: opt === 'O2' || opt === 'O3' };
  const first = renderLibraryCuda(plan, { metadataJson: '{}', dims }, renderOpts);
  const kernels: Record<string, string> = {};
  for (const [name, src] of first.kernels) kernels[name] = sha256(src);
  const metadata = libraryMetadata('cuda', cfg, dims, plan, kernels);
  const { source } = renderLibraryCuda(plan, { metadataJson: JSON.stringify(metadata), dims }, renderOpts);
  return { plan, dims, source, metadata };
}

export interface CudaCompileResult extends CompileResult {
  nvccSeconds: number;
}

export function compileCuda(opts: CompileOptions): CudaCompileResult {
  const { archs } = parseCudaDevice(opts.device ?? 'cuda');
  const opt = normalizeOpt(opts.opt);
  const overrides = parseOverrides(opts.overrides);
  const lowered = lowerToCuda(opts.chatConfigPath, overrides, opt);
  const root = packageRoot();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-compile-cuda-'));
  try {
    const genFile = path.join(work, 'model.cu');
    fs.writeFileSync(genFile, lowered.source);
    if (opts.debugDumpDir) writeFileAtomic(path.join(opts.debugDumpDir, 'model.cu'), lowered.source);
    const output = path.resolve(opts.output);
    const build = buildCudaLibrary({
      sources: [genFile, path.join(root, 'native', 'cuda', 'nx_cuda_runtime.cu')],
      includeDirs: [path.join(root, 'native', 'include'), path.join(root, 'native', 'cuda')],
      flags: nvccFlags(archs, opt),
      output,
    });
    const manifest = {
      ...lowered.metadata,
      build: {
        device: opts.device ?? 'cuda',
        archs,
        opt,
        command: build.command.map((a) => (a === genFile ? '<generated>/model.cu' : a)),
        toolchain: build.compiler.version,
        source_sha256: sha256(lowered.source),
        build_sha256: build.buildHash,
      },
    };
    const manifestPath = `${output}.json`;
    writeFileAtomic(manifestPath, JSON.stringify(manifest, null, 2));
    return { library: output, manifest: manifestPath, metadata: lowered.metadata, cacheHit: build.cacheHit, nvccSeconds: build.seconds };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
