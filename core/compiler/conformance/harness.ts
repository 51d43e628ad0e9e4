/**
 * A test library of single kernels: every kernel rendered exactly as in a model library, plus an
 * exported `nxk_<name>(pool-threads, buffers..., scalars...)` wrapper, linked with the cpu runtime (for
 * its thread pool) and loaded through koffi. Lets conformance run one kernel against the reference.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import koffi from 'koffi';
import type { Kernel } from '../ir/ir';
import { renderKernelCpp, C_TYPE } from '../render/cpp';
import { buildSharedLibrary, gxxFlags } from '../toolchain/gxx';
import { packageRoot } from '../compile';

/** avx2: the default portable build with AVX2/FMA; portable: baseline x86-64 (IR fallbacks); native: -march=native (AVX-512 paths). */
export type Isa = 'avx2' | 'portable' | 'native';

export interface KernelHarness {
  /** Run a kernel; buffers in kernel order (typed arrays, written in place), then its int scalars. */
  run(name: string, buffers: ArrayBufferView[], scalars: number[], threads?: number): void;
}

export function buildKernelHarness(kernels: Kernel[], isa: Isa, workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-kh-'))): KernelHarness {
  const root = packageRoot();
  const unique = [...new Map(kernels.map((k) => [k.name, k])).values()];
  const wrappers = unique.map((k) => {
    const params = [
      'int32_t threads',
      ...k.buffers.map((b) => `void *${b.name}`),
      ...k.scalars.map((s) => `int32_t ${s.name}`),
    ].join(', ');
    const args = ['pool', ...k.buffers.map((b) => `(${C_TYPE[b.t]} *)${b.name}`), ...k.scalars.map((s) => s.name)].join(', ');
    return `extern "C" __attribute__((visibility("default"))) void nxk_${k.name}(${params}) {\n  nx_pool *pool = threads > 1 ? nx_pool_create(threads) : nullptr;\n  ${k.name}(${args});\n  if (pool) nx_pool_destroy(pool);\n}\n`;
  });
  const source = [
    '#include "nx_kernel.h"',
    ...unique.map((k) => renderKernelCpp(k)),
    ...wrappers,
    // The runtime's ABI functions reference a model definition; the harness has none.
    'const nx_model_def *nx_model_definition(void) { return nullptr; }',
  ].join('\n');
  const src = path.join(workDir, `kernels-${isa}.cpp`);
  fs.writeFileSync(src, source);
  // `portable` = baseline x86-64: the IR-generated fallbacks instead of the AVX2 intrinsics.
  const flags = isa === 'native' ? gxxFlags('O2', 'native') : gxxFlags('O2', 'portable', isa === 'avx2' ? undefined : new Set());
  const lib = path.join(workDir, `kernels-${isa}.so`);
  buildSharedLibrary({
    sources: [src, path.join(root, 'native', 'cpu', 'nx_runtime.cpp')],
    includeDirs: [path.join(root, 'native', 'include'), path.join(root, 'native', 'cpu')],
    flags,
    output: lib,
  });
  const handle = koffi.load(lib);
  const fns = new Map(unique.map((k) => {
    const decl = `void nxk_${k.name}(int32_t threads, ${[...k.buffers.map((b) => `void *${b.name}`), ...k.scalars.map((s) => `int32_t ${s.name}`)].join(', ')})`;
    return [k.name, handle.func(decl)];
  }));
  return {
    run(name, buffers, scalars, threads = 1) {
      const f = fns.get(name);
      if (!f) throw new Error(`kernel ${name} is not in this harness`);
      f(threads, ...buffers, ...scalars);
    },
  };
}
