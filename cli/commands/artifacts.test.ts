import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { HF_TINY, tempDir } from '../../core/test-support/paths';
import { startFakeHub } from '../../core/acquire/test-support/fake-hub';
import { registerAcquire } from './acquire';
import { registerStore } from './store';
import { registerCacheServer } from './cache-server';

/** Run `nx-mlc <args>` in-process with the given commands; capture stdout/stderr and the exit code. */
async function run(args: string[], env: Record<string, string> = {}, onStderr?: (s: string) => void): Promise<{ stdout: string; stderr: string; code: number }> {
  const program = new Command().exitOverride();
  registerAcquire(program);
  registerStore(program);
  registerCacheServer(program);
  const saved = { out: process.stdout.write, err: process.stderr.write, env: { ...process.env }, code: process.exitCode };
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((s: string) => ((stdout += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((stderr += s), onStderr?.(s), true)) as typeof process.stderr.write;
  Object.assign(process.env, env);
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'nx-mlc', ...args]);
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    process.env = saved.env;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = saved.code;
  return { stdout, stderr, code };
}

test('acquire → store put → materialise on a clean directory → ls → verify → gc', async () => {
  const sha = 'fedcba9876543210fedcba9876543210fedcba98';
  const hub = await startFakeHub({ repo: 'org/tiny', dir: path.join(HF_TINY, 'llama'), sha });
  const storeRoot = tempDir();
  const env = { NXMLC_STORE: storeRoot, HF_ENDPOINT: hub.url, NXMLC_S3_BUCKET: '' };
  try {
    const ckpt = path.join(tempDir(), 'ckpt');
    const a = await run(['acquire', 'org/tiny@main', '-o', ckpt, '--store'], env);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain(`org/tiny@${sha}`);
    expect(JSON.parse(fs.readFileSync(path.join(ckpt, 'nx-mlc.lock.json'), 'utf8')).revision).toBe(sha);

    expect(a.stderr).toContain(`in the store ${storeRoot}`);
    const fromLock = tempDir();
    const m0 = await run(['store', 'materialise', path.join(ckpt, 'nx-mlc.lock.json'), '-o', fromLock], env);
    expect(m0.stdout).toMatch(/^4 file\(s\)/);
    expect(fs.readFileSync(path.join(fromLock, 'config.json'), 'utf8')).toBe(fs.readFileSync(path.join(HF_TINY, 'llama', 'config.json'), 'utf8'));

    const put = await run(['store', 'put', ckpt, '--include', '\\.safetensors$'], env);
    expect(put.code).toBe(0);
    expect(put.stdout).toMatch(/^2 file\(s\)/);

    const fresh = tempDir();
    const mat = await run(['store', 'materialise', path.join(ckpt, 'nx-mlc-store.json'), '-o', fresh, '--mode', 'copy'], env);
    expect(mat.stdout).toContain('2 file(s)');
    expect(mat.stdout).toContain('2 by copy');
    expect(fs.readFileSync(path.join(fresh, 'model.safetensors')).equals(fs.readFileSync(path.join(HF_TINY, 'llama', 'model.safetensors')))).toBe(true);

    const ls = await run(['store', 'ls'], env);
    expect(ls.stdout.trim().split('\n')).toHaveLength(4); // the 4 checkpoint files, stored once each
    expect(ls.stdout).toContain('7827c8ec4f3e6e7dff34aed82d6a3806ccb27e576625e800710d50285afbaf98');

    expect((await run(['store', 'verify'], env)).stderr).toContain('4 blob(s)');
    const noLimit = await run(['store', 'gc'], env);
    expect(noLimit.code).toBe(1);
    expect(noLimit.stderr).toContain('--max-size');
    const gc = await run(['store', 'gc', '--max-size', '0', '--keep', ckpt], env);
    expect(gc.code).toBe(0);
    expect(gc.stdout.trim().split('\n')).toHaveLength(2); // the two json files; the safetensors are pinned by the manifest
    const gc2 = await run(['store', 'gc', '--max-size', '0'], env);
    expect(gc2.stdout.trim().split('\n')).toHaveLength(2);
  } finally {
    await hub.close();
  }
});

test('cache-server serves the Nx cache API from the local store until SIGTERM, with tokens from the environment', async () => {
  const storeRoot = tempDir();
  const env = { NXMLC_STORE: storeRoot, NXMLC_S3_BUCKET: '', NXMLC_CACHE_READ_TOKENS: 'r1, r2', NXMLC_CACHE_WRITE_TOKENS: 'w1' };
  let url = '';
  let running!: ReturnType<typeof run>;
  await new Promise<void>((resolve) => {
    running = run(['cache-server', '--port', '0'], env, (line) => {
      const m = /cache-server on (http:\/\/\S+)/.exec(line);
      if (m) {
        url = m[1];
        resolve();
      }
    });
  });
  const hash = '123456789';
  expect((await fetch(`${url}/v1/cache/${hash}`, { method: 'PUT', headers: { Authorization: 'Bearer r2' }, body: 'x' })).status).toBe(403);
  expect((await fetch(`${url}/v1/cache/${hash}`, { method: 'PUT', headers: { Authorization: 'Bearer w1' }, body: 'archive' })).status).toBe(200);
  expect(await (await fetch(`${url}/v1/cache/${hash}`, { headers: { Authorization: 'Bearer r1' } })).text()).toBe('archive');
  expect(fs.readFileSync(path.join(storeRoot, 'nx-cache', hash), 'utf8')).toBe('archive');
  process.emit('SIGTERM');
  expect((await running).code).toBe(0);
});
