/**
 * g++ for the cpu target: flags per optimisation level and ISA variant, one shared-library build,
 * and a content-addressed build cache (same sources + flags + compiler version -> same library, so
 * CI and tests that compile one model several times pay once).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { NxMlcError } from '../../support/errors';
import { copyFileAtomic } from '../../support/atomic';

export type OptLevel = 'O0' | 'O1' | 'O2' | 'O3';

export interface GxxInfo {
  path: string;
  version: string;
}

let cachedInfo: GxxInfo | null | undefined;

export function findGxx(): GxxInfo | null {
  if (cachedInfo !== undefined) return cachedInfo;
  for (const cand of [process.env.CXX, 'g++', 'c++', 'clang++'].filter((x): x is string => !!x)) {
    const r = spawnSync(cand, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) {
      cachedInfo = { path: cand, version: r.stdout.split('\n')[0].trim() };
      return cachedInfo;
    }
  }
  cachedInfo = null;
  return null;
}

/** CPU features of this machine (Linux /proc/cpuinfo; empty elsewhere). */
export function hostCpuFlags(): Set<string> {
  try {
    const text = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const line = text.split('\n').find((l) => l.startsWith('flags'));
    return new Set(line ? line.split(':')[1].trim().split(/\s+/) : []);
  } catch {
    return new Set();
  }
}

/**
 * Flags: `native` builds for this machine only (-march=native); `portable` builds x86-64 with
 * AVX2/FMA/F16C when this host has them (so it runs on any AVX2 machine), else baseline x86-64;
 * `avx512` targets AVX-512 (F/BW/VL/DQ/VNNI) machines whatever the build host.
 */
export function gxxFlags(opt: OptLevel, variant: 'native' | 'portable' | 'avx512', flags = hostCpuFlags()): string[] {
  const level = { O0: '-O1', O1: '-O2', O2: '-O3', O3: '-O3' }[opt];
  const isa: string[] = [];
  if (process.arch === 'x64') {
    if (variant === 'native') isa.push('-march=native');
    else if (variant === 'avx512') isa.push('-mavx2', '-mfma', '-mf16c', '-mavx512f', '-mavx512bw', '-mavx512vl', '-mavx512dq', '-mavx512vnni');
    else if (flags.has('avx2') && flags.has('fma')) isa.push('-mavx2', '-mfma', '-mf16c');
  }
  return [
    level, ...isa, ...(opt === 'O3' ? ['-funroll-loops'] : []),
    '-std=c++17', '-shared', '-fPIC', '-fvisibility=hidden', '-fno-math-errno', '-pthread', '-Wall', '-Wno-unused-variable', '-Wno-unused-but-set-variable',
  ];
}

export interface BuildRequest {
  /** Files to compile (absolute paths). */
  sources: string[];
  includeDirs: string[];
  flags: string[];
  output: string;
  /** Directory of the build cache; defaults to $TMPDIR/nx-mlc-build-cache. */
  cacheDir?: string;
}

export interface BuildResult {
  command: string[];
  compiler: GxxInfo;
  cacheHit: boolean;
  /** sha256 over compiler version, flags and source contents. */
  buildHash: string;
}

const LINK_ONLY = new Set(['-shared']);

function run(gxx: GxxInfo, args: string[], what: string, file: string): void {
  const r = spawnSync(gxx.path, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    throw new NxMlcError(`g++ failed to ${what}:\n${(r.stderr || r.stdout || String(r.error)).slice(0, 4000)}`, {
      file,
      fix: 'this is a compiler bug in nx-mlc unless the toolchain is broken; report it with the generated source',
    });
  }
}

/** Place `src` at `dest` through a temp file + rename (cache entries are never half-written). */
function publish(src: string, dest: string): void {
  try {
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    copyFileAtomic(src, dest);
  } catch {
    // The cache is an optimisation only.
  }
}

/**
 * Compile each source to an object (cached by content: the runtime object is shared by every model
 * library), then link. The whole library is cached by the hash of all inputs as well.
 */
export function buildSharedLibrary(req: BuildRequest): BuildResult {
  const gxx = findGxx();
  if (!gxx) {
    throw new NxMlcError('no C++ compiler found for the cpu target', { field: 'device', fix: 'install g++ (apt-get install g++) or set CXX' });
  }
  const cacheDir = req.cacheDir ?? path.join(os.tmpdir(), 'nx-mlc-build-cache');
  const compileFlags = req.flags.filter((f) => !LINK_ONLY.has(f));
  const includes = req.includeDirs.map((d) => `-I${d}`);
  const headers = req.includeDirs.flatMap((d) => fs.readdirSync(d).filter((f) => f.endsWith('.h')).sort().map((f) => path.join(d, f)));
  const headerHash = createHash('sha256');
  for (const f of headers) headerHash.update(path.basename(f)).update(fs.readFileSync(f));
  const base = createHash('sha256').update(gxx.version).update(JSON.stringify(req.flags)).update(headerHash.digest('hex')).digest('hex');
  const objectHashes = req.sources.map((f) => createHash('sha256').update(base).update(fs.readFileSync(f)).digest('hex'));
  const buildHash = createHash('sha256').update(base).update(objectHashes.join(',')).digest('hex');
  const command = [gxx.path, ...req.flags, ...includes, ...req.sources, '-o', req.output];
  const cachedLib = path.join(cacheDir, `${buildHash}.so`);
  if (fs.existsSync(cachedLib)) {
    copyFileAtomic(cachedLib, req.output);
    return { command, compiler: gxx, cacheHit: true, buildHash };
  }
  fs.mkdirSync(path.dirname(req.output), { recursive: true });
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-gxx-'));
  try {
    const objects = req.sources.map((src, i) => {
      const cachedObj = path.join(cacheDir, `obj-${objectHashes[i]}.o`);
      if (fs.existsSync(cachedObj)) return cachedObj;
      const obj = path.join(tmpDir, `${i}-${path.basename(src)}.o`);
      run(gxx, [...compileFlags, ...includes, '-c', src, '-o', obj], `compile ${path.basename(src)}`, src);
      publish(obj, cachedObj);
      return obj;
    });
    const tmpOut = path.join(path.dirname(req.output), `.tmp-${path.basename(req.output)}-${process.pid}-${Date.now()}`);
    try {
      run(gxx, [...req.flags, ...objects, '-o', tmpOut], `link ${path.basename(req.output)}`, req.output);
      publish(tmpOut, cachedLib);
      fs.renameSync(tmpOut, req.output);
    } finally {
      fs.rmSync(tmpOut, { force: true });
    }
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
  return { command, compiler: gxx, cacheHit: false, buildHash };
}
