import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fp16CodeThresholds } from './group-kernel';

/**
 * The C twin of the hottest convert-weight path (bf16 source → int4 groups of 32 with fp16 scales:
 * q4f16_1 / q4f16_0), built on first use with the machine's C compiler and loaded through koffi. Bit-identical
 * to the TypeScript kernel (tests compare them), which remains the fallback: no compiler, a failed build or
 * `NXMLC_NATIVE_QUANT=0` simply means the TypeScript path runs.
 */

type Q4Fn = (src: Uint16Array, rows: number, k: number, L: Float64Array, qWeight: Uint32Array, qScale: Uint16Array) => number | bigint;

export interface NativeQ4 {
  /** Quantize `rows` rows of length k (k % 32 == 0); returns the first non-finite source index or -1. */
  quantize(src: Uint16Array, rows: number, k: number, qWeight: Uint32Array, qScale: Uint16Array): number;
  /** bf16 → fp16 bit patterns; returns the first non-finite source index or -1. */
  castBf16ToF16(src: Uint16Array, n: number, out: Uint16Array): number;
  library: string;
}

let loaded: NativeQ4 | null | undefined;

function sourceFile(): string | undefined {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const f = path.join(dir, 'native', 'quant', 'q4f16_bf16.c');
    if (fs.existsSync(f)) return f;
    if (path.dirname(dir) === dir) return undefined;
  }
}

function build(src: string): string | undefined {
  const cc = process.env.CC || 'cc';
  const code = fs.readFileSync(src);
  const dir = path.join(os.tmpdir(), 'nx-mlc-build-cache');
  for (const flags of [['-O3', '-march=native'], ['-O3']]) {
    // -march=native: one build per machine and CPU model, so a shared temp dir never hands out a foreign build
    const key = createHash('sha256').update(code).update(cc).update(flags.join(' ')).update(os.hostname()).update(os.cpus()[0]?.model ?? '').digest('hex').slice(0, 24);
    const lib = path.join(dir, `q4f16-bf16-${key}.so`);
    if (fs.existsSync(lib)) return lib;
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${lib}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const r = spawnSync(cc, [...flags, '-shared', '-fPIC', '-o', tmp, src, '-lm'], { encoding: 'utf8' });
    if (r.status === 0) {
      fs.renameSync(tmp, lib); // atomic: concurrent builders all produce the same file
      return lib;
    }
    fs.rmSync(tmp, { force: true });
  }
  return undefined;
}

/** The native kernel, or null when it is unavailable here (the caller uses the TypeScript kernel). */
export function nativeQ4(): NativeQ4 | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.env.NXMLC_NATIVE_QUANT === '0') return null;
  try {
    const src = sourceFile();
    const library = src && build(src);
    if (!library) return null;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const koffi = require('koffi') as typeof import('koffi');
    const lib = koffi.load(library);
    const fn = lib.func('int64_t nxq_q4f16_from_bf16(const uint16_t *src, int64_t rows, int64_t k, const double *L, uint32_t *q_weight, uint16_t *q_scale)') as unknown as Q4Fn;
    const cast = lib.func('int64_t nxq_bf16_to_f16(const uint16_t *src, int64_t n, uint16_t *out)') as unknown as (s: Uint16Array, n: number, o: Uint16Array) => number | bigint;
    const L = fp16CodeThresholds(7);
    loaded = {
      library,
      quantize: (src16, rows, k, qWeight, qScale) => Number(fn(src16, rows, k, L, qWeight, qScale)),
      castBf16ToF16: (src16, n, out) => Number(cast(src16, n, out)),
    };
  } catch (e) {
    if (process.env.NXMLC_DEBUG) process.stderr.write(`native q4 kernel unavailable: ${(e as Error).message}\n`);
    loaded = null;
  }
  return loaded;
}
