import * as fs from 'node:fs';
import * as path from 'node:path';
import { HF_TINY, tempDir } from '../test-support/paths';
import { acquire } from './acquire';
import { globToRegExp, selectFiles } from './include';
import { LOCK_FILE, readAcquireLock } from './lock';
import { parseRepoRef } from './repo-ref';
import { startFakeHub, type FakeHub } from './test-support/fake-hub';

const REPO = 'nx-mlc-test/tiny-llama';
const SHA = '0123456789abcdef0123456789abcdef01234567';
const TOKEN = 'hf_testtoken';
const FIXTURE = path.join(HF_TINY, 'llama');
// `sha256sum fixtures/hf-tiny/llama/*`, computed outside the code under test.
const EXPECTED_SHA256: Record<string, string> = {
  'config.json': '136d8d76fa6803c7a8ec319fdebcf67713f18167caa1e28de8eca2b8464f797d',
  'expected.safetensors': '8c6bc9347fb7c2f2a9d5acd1927418c0eba7d3ebe4d8e6d613027e15d931c8a8',
  'generation_config.json': 'b1a85db093320bbd1ef48970da77c5e1f5aeeee1a82bee306caf076d9befcde5',
  'model.safetensors': '7827c8ec4f3e6e7dff34aed82d6a3806ccb27e576625e800710d50285afbaf98',
};

let hubs: FakeHub[] = [];
afterEach(async () => {
  await Promise.all(hubs.map((h) => h.close()));
  hubs = [];
});
async function hub(extra: Partial<Parameters<typeof startFakeHub>[0]> = {}): Promise<FakeHub> {
  const h = await startFakeHub({ repo: REPO, dir: FIXTURE, sha: SHA, token: TOKEN, ...extra });
  hubs.push(h);
  return h;
}

describe('acquire from a Hub-compatible server', () => {
  test('pins the revision to a commit, downloads every file verified, and writes a deterministic lock', async () => {
    const h = await hub();
    const out = tempDir();
    const r = await acquire({ repo: REPO, revision: 'main', outDir: out, hubUrl: h.url, token: TOKEN });
    expect(r.lock.revision).toBe(SHA);
    expect(r.lock.files).toEqual(
      Object.keys(EXPECTED_SHA256).map((p) => ({ path: p, size: fs.statSync(path.join(FIXTURE, p)).size, sha256: EXPECTED_SHA256[p], lfs: p.endsWith('.safetensors') })),
    );
    for (const p of Object.keys(EXPECTED_SHA256)) expect(fs.readFileSync(path.join(out, p)).equals(fs.readFileSync(path.join(FIXTURE, p)))).toBe(true);
    expect(readAcquireLock(path.join(out, LOCK_FILE))).toEqual(r.lock);
    // LFS files go through the CDN redirect; every file was fetched by commit sha, never by branch name.
    expect(h.requests.filter((q) => q.includes('/resolve/')).every((q) => q.includes(`/resolve/${SHA}/`))).toBe(true);
    expect(h.requests.some((q) => q.startsWith('GET /cdn/model.safetensors'))).toBe(true);

    // A second run downloads nothing and writes the identical lock.
    const before = fs.readFileSync(path.join(out, LOCK_FILE), 'utf8');
    const again = await acquire({ repo: REPO, revision: SHA, outDir: out, hubUrl: h.url, token: TOKEN });
    expect(again.downloadedBytes).toBe(0);
    expect(again.reusedFiles).toBe(4);
    expect(fs.readFileSync(path.join(out, LOCK_FILE), 'utf8')).toBe(before);
  });

  test('a dropped connection leaves a partial file that the next run resumes with a Range request', async () => {
    const h = await hub({ dropFile: { path: 'model.safetensors', afterBytes: 100_000 } });
    const out = tempDir();
    await expect(acquire({ repo: REPO, outDir: out, hubUrl: h.url, token: TOKEN, concurrency: 1 })).rejects.toThrow();
    expect(fs.existsSync(path.join(out, 'model.safetensors'))).toBe(false); // never a plausible-looking file
    expect(fs.existsSync(path.join(out, LOCK_FILE))).toBe(false);

    const r = await acquire({ repo: REPO, outDir: out, hubUrl: h.url, token: TOKEN, concurrency: 1 });
    expect(r.resumedFiles).toBe(1);
    const size = fs.statSync(path.join(FIXTURE, 'model.safetensors')).size;
    expect(h.requests).toContain(`GET /cdn/model.safetensors bytes=100000-${size - 1}`);
    expect(fs.readFileSync(path.join(out, 'model.safetensors')).equals(fs.readFileSync(path.join(FIXTURE, 'model.safetensors')))).toBe(true);
    expect(r.lock.files.find((f) => f.path === 'model.safetensors')!.sha256).toBe(EXPECTED_SHA256['model.safetensors']);
  });

  test.each(['model.safetensors', 'config.json'])('corrupt bytes in %s are caught (LFS sha256 / git blob id) and not kept', async (file) => {
    const h = await hub({ corruptFile: file });
    const out = tempDir();
    await expect(acquire({ repo: REPO, outDir: out, hubUrl: h.url, token: TOKEN })).rejects.toThrow(new RegExp(`${file.replace('.', '\\.')} does not match the Hub's ${file.endsWith('.safetensors') ? 'LFS sha256' : 'git blob id'}`));
    expect(fs.existsSync(path.join(out, file))).toBe(false);
    expect(fs.existsSync(path.join(out, LOCK_FILE))).toBe(false);
  });

  test('a missing or wrong token and an unknown revision give errors that name the fix', async () => {
    const h = await hub();
    await expect(acquire({ repo: REPO, outDir: tempDir(), hubUrl: h.url, token: 'hf_wrong' })).rejects.toThrow(/HF_TOKEN/);
    await expect(acquire({ repo: REPO, outDir: tempDir(), hubUrl: h.url, token: TOKEN, revision: 'v9' })).rejects.toThrow(/not found[\s\S]*fix:/);
  });

  test('include patterns restrict what is fetched', async () => {
    const h = await hub();
    const out = tempDir();
    const r = await acquire({ repo: REPO, outDir: out, hubUrl: h.url, token: TOKEN, include: ['*.json'] });
    expect(r.lock.files.map((f) => f.path)).toEqual(['config.json', 'generation_config.json']);
    expect(fs.existsSync(path.join(out, 'model.safetensors'))).toBe(false);
  });
});

describe('repo refs and file selection', () => {
  test('parseRepoRef', () => {
    expect(parseRepoRef('meta-llama/Llama-3.2-1B')).toEqual({ repo: 'meta-llama/Llama-3.2-1B', revision: undefined });
    expect(parseRepoRef(`org/m@${SHA}`)).toEqual({ repo: 'org/m', revision: SHA });
    expect(() => parseRepoRef('just-a-name')).toThrow(/org\/name/);
    expect(() => parseRepoRef('org/m@')).toThrow(/org\/name/);
  });

  test('defaults skip duplicates of the weights and non-checkpoint files', () => {
    const repo = ['.gitattributes', 'README.md', 'config.json', 'model-00001-of-00002.safetensors', 'model.safetensors.index.json', 'original/consolidated.00.pth', 'pytorch_model.bin', 'tokenizer.json', 'onnx/model.onnx'];
    expect(selectFiles(repo)).toEqual(['README.md', 'config.json', 'model-00001-of-00002.safetensors', 'model.safetensors.index.json', 'tokenizer.json']);
    expect(selectFiles(['config.json', 'pytorch_model.bin'])).toEqual(['config.json', 'pytorch_model.bin']); // .bin kept when it is the only weights
    expect(globToRegExp('**/*.json').test('a/b/c.json')).toBe(true);
    expect(globToRegExp('**/*.json').test('c.json')).toBe(true);
    expect(globToRegExp('original/*').test('original/x/y')).toBe(false);
  });
});
