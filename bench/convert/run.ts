/**
 * Benchmark of convert-weight (issue #3): random bf16 checkpoints shaped like Qwen2.5-0.5B and Llama-3.2-1B,
 * converted to q4f16_1 and q0f16 with the input in page cache; beside it, in the same run, a plain `cp` of the
 * same weight files as the I/O floor. Prints a Markdown table for bench/RESULTS.md.
 *
 *   node -r @swc-node/register bench/convert/run.ts [--reps 3] [--threads N]
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeCheckpoint } from './make-checkpoint';

const ROOT = path.join(__dirname, '..', '..');
const DATA = path.join(ROOT, 'bench', '.data');
const args = process.argv.slice(2);
const reps = Number(args[args.indexOf('--reps') + 1] || 3) || 3;
const threads = args.includes('--threads') ? args[args.indexOf('--threads') + 1] : String(os.availableParallelism());
const MODELS = ['qwen2.5-0.5b', 'llama-3.2-1b'];
const QUANTS = ['q4f16_1', 'q0f16'];

function weightFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.safetensors')).map((f) => path.join(dir, f));
}

function warm(files: string[]): void {
  const buf = Buffer.allocUnsafe(16 * 2 ** 20);
  for (const f of files) {
    const fd = fs.openSync(f, 'r');
    while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
    fs.closeSync(fd);
  }
}

function copyFloor(files: string[], dest: string): number {
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { recursive: true });
  const t = process.hrtime.bigint();
  execFileSync('cp', [...files, dest]);
  execFileSync('sync', ['-f', dest]);
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  fs.rmSync(dest, { recursive: true, force: true });
  return s;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Run the converter as compiled JavaScript, as the CLI does (worker threads load .js directly).
const DIST = path.join(DATA, 'dist');
console.error('compiling to', DIST);
try {
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.json'), '--outDir', DIST, '--sourceMap', 'false', '--declaration', 'false'], { cwd: ROOT, stdio: 'ignore' });
} catch {
  // type errors elsewhere in the tree do not stop tsc from emitting
}
const ONCE = path.join(DIST, 'bench', 'convert', 'convert-once.js');

const rows: string[] = [];
for (const m of MODELS) {
  const dir = path.join(DATA, m);
  if (!fs.existsSync(path.join(dir, 'model.safetensors.index.json'))) {
    console.error(`making ${dir} …`);
    makeCheckpoint(path.join(ROOT, 'bench', 'configs', `${m}.json`), dir);
  }
  const files = weightFiles(dir);
  const bytes = files.reduce((s, f) => s + fs.statSync(f).size, 0);
  warm(files);
  for (const q of QUANTS) {
    const conv: { seconds: number; cpuSeconds: number; maxRssMB: number; outputBytes: number }[] = [];
    const copies: number[] = [];
    for (let r = 0; r < reps; r++) {
      copies.push(copyFloor(files, path.join(DATA, 'copy')));
      const out = path.join(DATA, `out-${m}-${q}`);
      const json = execFileSync(process.execPath, [ONCE, dir, q, out, threads], { cwd: ROOT, encoding: 'utf8' });
      conv.push(JSON.parse(json.trim().split('\n').pop()!));
      fs.rmSync(out, { recursive: true, force: true });
    }
    const secs = median(conv.map((c) => c.seconds));
    const copy = median(copies);
    const rss = Math.max(...conv.map((c) => c.maxRssMB));
    const cpu = median(conv.map((c) => c.cpuSeconds));
    const load = os.loadavg()[0].toFixed(1);
    const row = `| ${m} | ${q} | ${(bytes / 1e6).toFixed(0)} MB | ${(conv[0].outputBytes / 1e6).toFixed(0)} MB | ${secs.toFixed(2)} s (${conv.map((c) => c.seconds.toFixed(2)).join(' / ')}) | ${cpu.toFixed(2)} s | ${(bytes / 1e6 / secs).toFixed(0)} MB/s | ${rss.toFixed(0)} MB | ${copy.toFixed(2)} s | ${(secs / copy).toFixed(2)}× | ${load} |`;
    console.error(row);
    rows.push(row);
  }
}
console.log(
  [
    `Machine: ${os.cpus()[0].model}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, threads=${threads}, ${reps} runs each (median; all runs listed), input in page cache.`,
    '',
    '| model shape | quantization | bf16 source | output | convert wall time (runs) | CPU time (all threads) | source MB/s | peak RSS | `cp` floor (same run) | convert / cp | load avg (1 min) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n'),
);
