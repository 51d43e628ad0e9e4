/**
 * "A fully cached CI run with a cold local cache" (issue #7): a workspace whose convert target makes N MiB of
 * shards. Clone A builds and fills the remote cache; clone B starts with an empty Nx cache and an empty local
 * store and runs the same target. Two designs, same run:
 *   store:  the target's Nx output is the small store manifest; shards go to the S3 weight store and are
 *           materialised on demand (nx-mlc's design);
 *   nx:     the shards themselves are the Nx outputs (Nx's self-hosted remote cache carries them).
 * Both use `nx-mlc cache-server` on s3rver. Peak RSS from GNU time (largest process of the tree).
 *   node -r @swc-node/register bench/store/ci-cold.ts [MiB=2048] [shards=4]
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

const MiB = Number(process.argv[2] ?? 2048);
const SHARDS = Number(process.argv[3] ?? 4);
const REPO = path.resolve(__dirname, '..', '..');
const STORE_TS = JSON.stringify(path.join(REPO, 'core', 'store', 'index.ts'));

function clone(design: 'store' | 'nx'): string {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), `nx-mlc-ci-cold-${design}-`)));
  fs.mkdirSync(path.join(root, 'node_modules'));
  for (const e of fs.readdirSync(path.join(REPO, 'node_modules'))) if (e !== '.package-lock.json') fs.symlinkSync(path.join(REPO, 'node_modules', e), path.join(root, 'node_modules', e));
  const w = (f: string, s: string) => {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), s);
  };
  w('package.json', '{"name":"ci-cold","private":true}');
  w('.gitignore', 'node_modules\ndist\n.nx\n');
  w('nx.json', JSON.stringify({ cacheDirectory: '.nx/cache' }));
  w('weights/recipe.json', JSON.stringify({ MiB, SHARDS, design }));
  const outputs = design === 'store' ? ['{workspaceRoot}/dist/weights/nx-mlc-store.json'] : ['{workspaceRoot}/dist/weights'];
  w('weights/project.json', JSON.stringify({ name: 'weights', targets: { convert: { command: 'node -r @swc-node/register tools/convert.ts', cache: true, inputs: ['{projectRoot}/recipe.json'], outputs } } }));
  w(
    'tools/convert.ts',
    `import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
const { LocalStore, S3Store, s3ConfigFromEnv, ingestDir } = require(${STORE_TS});
fs.mkdirSync('dist/weights', { recursive: true });
for (let i = 0; i < ${SHARDS}; i++) {
  const fd = fs.openSync('dist/weights/params_shard_' + i + '.bin', 'w');
  for (let j = 0; j < ${MiB / SHARDS} / 8; j++) fs.writeSync(fd, crypto.randomBytes(8 << 20));
  fs.closeSync(fd);
}
if (${JSON.stringify(design)} === 'store') {
  const local = new LocalStore();
  ingestDir(local, 'dist/weights', { include: (p: string) => p.endsWith('.bin'), link: true, remote: new S3Store(s3ConfigFromEnv(local.tmpDir)) }).catch((e: Error) => { console.error(e); process.exit(1); });
}
`,
  );
  w(
    'tools/materialise.ts',
    `const { openStores, readStoreManifest, materialiseManifest } = require(${STORE_TS});
const { local, remote } = openStores();
materialiseManifest(local, readStoreManifest('dist/weights/nx-mlc-store.json'), 'dist/weights', { remote }).then((r: unknown) => console.log(JSON.stringify(r)));
`,
  );
  return root;
}

function timed(root: string, env: NodeJS.ProcessEnv, args: string[]): { seconds: number; rssMiB: number; output: string } {
  const t = Date.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'MAXRSS_KB=%M', process.execPath, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0', NX_CACHE_DIRECTORY: path.join(root, '.nx', 'cache'), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    maxBuffer: 16 << 20,
  });
  const output = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed:\n${output}`);
  const kb = Number(/MAXRSS_KB=(\d+)/.exec(output)?.[1] ?? NaN);
  return { seconds: (Date.now() - t) / 1000, rssMiB: Math.round(kb / 1024), output };
}

async function firstLine(args: string[]): Promise<{ proc: ReturnType<typeof spawn>; data: Record<string, string> }> {
  const proc = spawn(process.execPath, ['-r', '@swc-node/register', ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
  const line = await new Promise<string>((res) => readline.createInterface({ input: proc.stdout! }).once('line', res));
  return { proc, data: JSON.parse(line) };
}

async function main(): Promise<void> {
  const s3 = await firstLine([path.join(__dirname, 's3-server.ts')]);
  const cache = await firstLine([path.join(__dirname, 'cache-server.ts'), s3.data.endpoint, s3.data.bucket]);
  const made: string[] = [];
  const rows: string[] = [];
  try {
    for (const design of ['store', 'nx'] as const) {
      const env = (token: string) => ({
        NX_SELF_HOSTED_REMOTE_CACHE_SERVER: cache.data.url,
        NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: token,
        NXMLC_STORE: fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-ci-cold-store-')),
        NXMLC_S3_BUCKET: s3.data.bucket,
        NXMLC_S3_ENDPOINT: s3.data.endpoint,
        NXMLC_S3_PREFIX: 'weights/',
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        AWS_REGION: 'us-east-1',
      });
      const a = clone(design);
      const b = clone(design);
      made.push(a, b);
      const envA = env('bench-write');
      made.push(envA.NXMLC_STORE);
      const nx = (root: string) => [path.join(root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), 'run', 'weights:convert', '--outputStyle=static'];
      const build = timed(a, envA, nx(a));
      rows.push(`| ${design} | clone A: build + upload | ${build.seconds.toFixed(1)} | ${build.rssMiB} |`);
      const envB = env('bench-read');
      made.push(envB.NXMLC_STORE);
      const hit = timed(b, envB, nx(b));
      if (!hit.output.includes('[remote cache]')) throw new Error(`${design}: clone B did not hit the remote cache:\n${hit.output}`);
      rows.push(`| ${design} | clone B: nx run (remote cache hit) | ${hit.seconds.toFixed(1)} | ${hit.rssMiB} |`);
      if (design === 'store') {
        const mat = timed(b, envB, ['-r', '@swc-node/register', 'tools/materialise.ts']);
        rows.push(`| ${design} | clone B: materialise ${MiB} MiB from the S3 store | ${mat.seconds.toFixed(1)} | ${mat.rssMiB} |`);
        rows.push(`| ${design} | clone B: total | ${(hit.seconds + mat.seconds).toFixed(1)} | ${Math.max(hit.rssMiB, mat.rssMiB)} |`);
      }
      const bytes = fs.readdirSync(path.join(b, 'dist', 'weights')).filter((f) => f.endsWith('.bin')).reduce((s, f) => s + fs.statSync(path.join(b, 'dist', 'weights', f)).size, 0);
      if (bytes !== MiB * 2 ** 20) throw new Error(`${design}: clone B has ${bytes} bytes of shards, expected ${MiB} MiB`);
      for (const c of [a, b]) fs.rmSync(c, { recursive: true, force: true });
    }
  } finally {
    cache.proc.kill('SIGTERM');
    s3.proc.kill('SIGTERM');
    for (const m of made) fs.rmSync(m, { recursive: true, force: true });
  }
  console.log(`| design | step (${MiB} MiB in ${SHARDS} shards) | seconds | peak RSS MiB |`);
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
