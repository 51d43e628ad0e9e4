/**
 * nvcc for the cuda target: one shared library from the generated plan source and the CUDA runtime,
 * cudart linked statically (nvcc's default), so the library needs nothing at build time beyond the CUDA
 * toolkit's compiler and headers (no cuBLAS, no NVRTC, no libcuda stub) and only the driver at run time.
 * Like the g++ toolchain, builds are content-addressed: same sources + flags + nvcc version -> same library.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { NxMlcError } from '../../support/errors';
import { copyFileAtomic } from '../../support/atomic';

export interface NvccInfo {
  path: string;
  /** e.g. "Cuda compilation tools, release 13.0, V13.0.88" */
  version: string;
}

let cached: NvccInfo | null | undefined;

export function findNvcc(): NvccInfo | null {
  if (cached !== undefined) return cached;
  for (const cand of [process.env.NVCC, 'nvcc', '/usr/local/cuda/bin/nvcc'].filter((x): x is string => !!x)) {
    const r = spawnSync(cand, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) {
      const line = r.stdout.split('\n').find((l) => l.includes('release')) ?? r.stdout.trim().split('\n').pop() ?? '';
      cached = { path: cand, version: line.trim() };
      return cached;
    }
  }
  cached = null;
  return null;
}

/** Code generation flags: machine code for each sm_XX, plus PTX of the newest so later GPUs can JIT it. */
export function gencodeFlags(archs: string[]): string[] {
  const nums = archs.map((a) => a.replace(/^sm_/, ''));
  const flags = nums.flatMap((n) => ['-gencode', `arch=compute_${n},code=sm_${n}`]);
  const newest = [...nums].sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10)).pop();
  if (newest) flags.push('-gencode', `arch=compute_${newest},code=compute_${newest}`);
  return flags;
}

export function nvccFlags(archs: string[], opt: 'O0' | 'O1' | 'O2' | 'O3'): string[] {
  const level = { O0: '-O1', O1: '-O2', O2: '-O3', O3: '-O3' }[opt];
  return [
    level, '-std=c++17', '-shared', '-Xcompiler', '-fPIC,-fvisibility=hidden', '-cudart', 'static',
    ...gencodeFlags(archs),
  ];
}

export interface NvccBuildRequest {
  sources: string[];
  includeDirs: string[];
  flags: string[];
  output: string;
  cacheDir?: string;
}

export interface NvccBuildResult {
  command: string[];
  compiler: NvccInfo;
  cacheHit: boolean;
  buildHash: string;
  seconds: number;
}

export function buildCudaLibrary(req: NvccBuildRequest): NvccBuildResult {
  const nvcc = findNvcc();
  if (!nvcc) {
    throw new NxMlcError('nvcc (the CUDA toolkit compiler) was not found for the cuda target', {
      field: 'device',
      fix: 'install the CUDA toolkit (nvcc 12 or newer) and put nvcc on PATH, or set NVCC=/path/to/nvcc',
    });
  }
  const h = createHash('sha256').update(nvcc.version).update(JSON.stringify(req.flags));
  const headers = req.includeDirs.flatMap((d) => fs.readdirSync(d).filter((f) => /\.(h|cuh)$/.test(f)).sort().map((f) => path.join(d, f)));
  for (const f of [...req.sources, ...headers]) h.update(path.basename(f)).update(fs.readFileSync(f));
  const buildHash = h.digest('hex');
  const cacheDir = req.cacheDir ?? path.join(os.tmpdir(), 'nx-mlc-build-cache');
  const cachedLib = path.join(cacheDir, `${buildHash}.cuda.so`);
  const includes = req.includeDirs.map((d) => `-I${d}`);
  const command = [nvcc.path, ...req.flags, ...includes, ...req.sources, '-o', req.output];
  if (fs.existsSync(cachedLib)) {
    copyFileAtomic(cachedLib, req.output);
    return { command, compiler: nvcc, cacheHit: true, buildHash, seconds: 0 };
  }
  fs.mkdirSync(path.dirname(req.output), { recursive: true });
  const tmpOut = path.join(path.dirname(req.output), `.tmp-${path.basename(req.output)}-${process.pid}-${Date.now()}`);
  const t0 = Date.now();
  const r = spawnSync(nvcc.path, [...req.flags, ...includes, ...req.sources, '-o', tmpOut], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = (Date.now() - t0) / 1000;
  if (r.status !== 0) {
    fs.rmSync(tmpOut, { force: true });
    throw new NxMlcError(`nvcc failed to build ${req.output}:\n${(r.stderr || r.stdout || String(r.error)).slice(0, 4000)}`, {
      file: req.sources[0],
      fix: 'this is a compiler bug in nx-mlc unless the CUDA toolkit is broken; report it with the generated source (--debug-dump)',
    });
  }
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    copyFileAtomic(tmpOut, cachedLib);
  } catch {
    // The cache is an optimisation only.
  }
  fs.renameSync(tmpOut, req.output);
  return { command, compiler: nvcc, cacheHit: false, buildHash, seconds };
}
