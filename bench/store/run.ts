/**
 * Store benchmark for issue #7: a 2 GiB artifact (default) through the local store and an S3-compatible
 * remote, against plain disk copies in the same run. Each operation runs in its own process (op.ts) so its
 * peak RSS is its own; s3rver runs in another process.
 *   node -r @swc-node/register bench/store/run.ts [MiB=2048] [workdir=/tmp/nx-mlc-bench-store]
 * Writes JSON lines to bench/store/results/ and prints a markdown table.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

const MiB = Number(process.argv[2] ?? 2048);
const work = process.argv[3] ?? path.join(os.tmpdir(), 'nx-mlc-bench-store');
const here = __dirname;

interface Row {
  op: string;
  seconds: number;
  bytes: number;
  mbPerSec: number;
  maxRssMiB: number;
  [k: string]: unknown;
}

function op(env: NodeJS.ProcessEnv, ...args: string[]): Row {
  const r = spawnSync(process.execPath, ['-r', '@swc-node/register', path.join(here, 'op.ts'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`op ${args.join(' ')} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

async function main(): Promise<void> {
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const server = spawn(process.execPath, ['-r', '@swc-node/register', path.join(here, 's3-server.ts')], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
  const first = await new Promise<string>((res) => readline.createInterface({ input: server.stdout! }).once('line', res));
  const { endpoint, bucket } = JSON.parse(first) as { endpoint: string; bucket: string };
  const s3env = { BENCH_S3_ENDPOINT: endpoint, BENCH_S3_BUCKET: bucket };
  const rows: Row[] = [];
  const add = (label: string, r: Row) => {
    rows.push({ ...r, label });
    process.stderr.write(`${label}: ${r.seconds}s ${r.mbPerSec} MB/s rss ${r.maxRssMiB} MiB${r.error ? ` (${r.error})` : ''}\n`);
  };
  try {
    add('floor: Node + TS loader, no work', op({}, 'noop'));
    const src = path.join(work, 'artifact.bin');
    add('generate (random bytes)', op({}, 'gen', src, String(MiB)));
    const sha = op({}, 'sha256', src);
    add('sha256 of the file', sha);
    const digest = sha.sha256 as string;
    add('baseline: cp', op({}, 'cp', src, path.join(work, 'copy-cp.bin')));
    add('baseline: Node stream copy', op({}, 'stream-copy', src, path.join(work, 'copy-stream.bin')));
    fs.rmSync(path.join(work, 'copy-stream.bin'));
    const storeA = path.join(work, 'store-a');
    add('store put (copy + hash, one pass)', op({}, 'put-copy', src, storeA));
    add('store put --link (hash only)', op({}, 'put-link', path.join(work, 'copy-cp.bin'), path.join(work, 'store-b')));
    for (const mode of ['hardlink', 'reflink', 'copy']) {
      add(`materialise by ${mode}`, op({}, 'materialise', storeA, digest, path.join(work, `mat-${mode}.bin`), mode));
      fs.rmSync(path.join(work, `mat-${mode}.bin`), { force: true });
    }
    const state = path.join(work, 'state');
    fs.mkdirSync(state);
    add('S3 reference: one streamed PutObject', op(s3env, 's3-put-single', src, state, digest));
    add('S3 upload (multipart 64 MiB x 4)', op(s3env, 's3-up', path.join(storeA, 'blobs', 'sha256', digest.slice(0, 2), digest), state, digest));
    add('S3 download (ranged 64 MiB x 4) + sha256 verify', op(s3env, 's3-down', path.join(work, 'store-c'), state, digest));
  } finally {
    server.kill('SIGTERM');
  }
  const outDir = path.join(here, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  fs.writeFileSync(path.join(outDir, `run-${stamp}.jsonl`), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  console.log(`| operation (${MiB} MiB) | seconds | MB/s | peak RSS MiB |`);
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.label} | ${r.error ? `— (${r.error})` : r.seconds} | ${r.error ? '—' : r.mbPerSec} | ${r.maxRssMiB} |`);
  fs.rmSync(work, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
