import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { HF_TINY, tempDir } from '../test-support/paths';
import { gcStore, parseSize } from './gc';
import { LocalStore } from './local-store';
import { ingestDir, materialiseManifest, MANIFEST_FILE, readStoreManifest } from './manifest';
import { verifyStore } from './verify';

// Digests computed with `sha256sum` on the fixture files, not by the code under test.
const LLAMA_MODEL_SHA = '7827c8ec4f3e6e7dff34aed82d6a3806ccb27e576625e800710d50285afbaf98';
const LLAMA_CONFIG_SHA = '136d8d76fa6803c7a8ec319fdebcf67713f18167caa1e28de8eca2b8464f797d';
const SHARED_GENCONFIG_SHA = 'b1a85db093320bbd1ef48970da77c5e1f5aeeee1a82bee306caf076d9befcde5'; // llama, llama-tied, mistral

describe('LocalStore', () => {
  test('stores a file under its sha256 and leaves the source untouched', async () => {
    const store = new LocalStore(tempDir());
    const src = path.join(HF_TINY, 'llama', 'model.safetensors');
    const r = await store.putFile(src);
    expect(r).toEqual({ sha256: LLAMA_MODEL_SHA, size: 330488, added: true });
    expect(fs.readFileSync(store.pathOf(LLAMA_MODEL_SHA)).equals(fs.readFileSync(src))).toBe(true);
    expect(store.pathOf(LLAMA_MODEL_SHA)).toBe(path.join(store.root, 'blobs', 'sha256', '78', LLAMA_MODEL_SHA));
    expect(fs.statSync(src).mode & 0o200).toBe(0o200); // still writable: copy mode does not touch the source
    expect(fs.statSync(store.pathOf(LLAMA_MODEL_SHA)).mode & 0o222).toBe(0); // blobs are read-only
  });

  test('identical files from different models are stored once', async () => {
    const store = new LocalStore(tempDir());
    const a = await ingestDir(store, copyDir(path.join(HF_TINY, 'llama')));
    const b = await ingestDir(store, copyDir(path.join(HF_TINY, 'mistral')));
    const gen = (m: typeof a) => m.files.find((f) => f.path === 'generation_config.json')!;
    expect(gen(a).sha256).toBe(SHARED_GENCONFIG_SHA);
    expect(gen(b).sha256).toBe(SHARED_GENCONFIG_SHA);
    const distinct = new Set([...a.files, ...b.files].map((f) => f.sha256));
    expect(store.list().length).toBe(distinct.size);
    expect(distinct.size).toBe(a.files.length + b.files.length - 1);
  });

  test('a stream whose bytes do not match the expected digest is rejected and leaves nothing behind', async () => {
    const store = new LocalStore(tempDir());
    await expect(store.putStream(Readable.from([Buffer.from('not the config')]), LLAMA_CONFIG_SHA)).rejects.toThrow(/hash mismatch/);
    expect(store.has(LLAMA_CONFIG_SHA)).toBe(false);
    expect(fs.readdirSync(store.tmpDir)).toEqual([]);
    const ok = await store.putStream(fs.createReadStream(path.join(HF_TINY, 'llama', 'config.json')), LLAMA_CONFIG_SHA);
    expect(ok.sha256).toBe(LLAMA_CONFIG_SHA);
  });

  test('link mode ingests without copying (same inode)', async () => {
    const store = new LocalStore(tempDir());
    const dir = copyDir(path.join(HF_TINY, 'llama'));
    const r = await store.putFile(path.join(dir, 'model.safetensors'), { link: true });
    expect(r.sha256).toBe(LLAMA_MODEL_SHA);
    expect(fs.statSync(store.pathOf(r.sha256)).ino).toBe(fs.statSync(path.join(dir, 'model.safetensors')).ino);
  });

  test.each(['hardlink', 'copy'] as const)('materialise by %s gives the same bytes atomically', async (mode) => {
    const store = new LocalStore(tempDir());
    await store.putFile(path.join(HF_TINY, 'llama', 'model.safetensors'));
    const out = path.join(tempDir(), 'sub', 'model.safetensors');
    expect(store.materialise(LLAMA_MODEL_SHA, out, mode)).toBe(mode);
    expect(fs.readFileSync(out).equals(fs.readFileSync(path.join(HF_TINY, 'llama', 'model.safetensors')))).toBe(true);
    const sameInode = fs.statSync(out).ino === fs.statSync(store.pathOf(LLAMA_MODEL_SHA)).ino;
    expect(sameInode).toBe(mode === 'hardlink');
    expect(fs.readdirSync(path.dirname(out))).toEqual(['model.safetensors']); // no temp file left
  });

  test('auto mode falls back to a working method (reflink where supported, else hard link)', async () => {
    const store = new LocalStore(tempDir());
    await store.putFile(path.join(HF_TINY, 'llama', 'config.json'));
    const out = path.join(tempDir(), 'config.json');
    const method = store.materialise(LLAMA_CONFIG_SHA, out);
    expect(['reflink', 'hardlink']).toContain(method);
    expect(fs.readFileSync(out, 'utf8')).toBe(fs.readFileSync(path.join(HF_TINY, 'llama', 'config.json'), 'utf8'));
  });

  test('materialising a missing blob names the blob and the fix', () => {
    const store = new LocalStore(tempDir());
    expect(() => store.materialise(LLAMA_MODEL_SHA, path.join(tempDir(), 'x'))).toThrow(/not in the local store[\s\S]*fix:/);
  });
});

describe('store manifests', () => {
  test('ingest writes a manifest; materialise rebuilds the directory byte for byte on a fresh checkout', async () => {
    const store = new LocalStore(tempDir());
    const src = copyDir(path.join(HF_TINY, 'llama'));
    await ingestDir(store, src, { include: (p) => p.endsWith('.safetensors') });
    const manifest = readStoreManifest(path.join(src, MANIFEST_FILE));
    expect(manifest.files.map((f) => [f.path, f.size])).toEqual([
      ['expected.safetensors', 49680],
      ['model.safetensors', 330488],
    ]);
    expect(manifest.files[1].sha256).toBe(LLAMA_MODEL_SHA);

    const fresh = tempDir();
    const r = await materialiseManifest(store, manifest, fresh, { mode: 'hardlink' });
    expect(r).toMatchObject({ files: 2, bytes: 49680 + 330488, fetched: 0, skipped: 0, methods: { hardlink: 2 } });
    for (const f of ['expected.safetensors', 'model.safetensors']) {
      expect(fs.readFileSync(path.join(fresh, f)).equals(fs.readFileSync(path.join(HF_TINY, 'llama', f)))).toBe(true);
    }
    const again = await materialiseManifest(store, manifest, fresh, { mode: 'hardlink' });
    expect(again.skipped).toBe(2);
  });

  test('a manifest entry that escapes the directory is refused', () => {
    const file = path.join(tempDir(), MANIFEST_FILE);
    fs.writeFileSync(file, JSON.stringify({ kind: 'nx-mlc-store-manifest', version: 1, files: [{ path: '../evil', size: 1, sha256: LLAMA_MODEL_SHA }] }));
    expect(() => readStoreManifest(file)).toThrow(/files\[0\]/);
  });
});

describe('gc and verify', () => {
  test('gc evicts least-recently-used blobs down to the size limit and keeps pinned ones', async () => {
    const store = new LocalStore(tempDir());
    const m = await ingestDir(store, copyDir(path.join(HF_TINY, 'llama')));
    const bySize = Object.fromEntries(m.files.map((f) => [f.path, f]));
    // Make the use order explicit: config oldest ... model newest.
    const order = ['config.json', 'generation_config.json', 'expected.safetensors', 'model.safetensors'];
    order.forEach((p, i) => {
      const blob = store.pathOf(bySize[p].sha256);
      fs.utimesSync(blob, new Date(2026, 0, 1 + i), new Date(2026, 0, 1));
    });
    const limit = 330488 + 49680; // room for the two newest
    const dry = gcStore(store, { maxBytes: limit, dryRun: true });
    expect(dry.removed.map((b) => b.sha256)).toEqual([bySize['config.json'].sha256, bySize['generation_config.json'].sha256]);
    expect(store.list().length).toBe(4);

    const keep = new Set([bySize['config.json'].sha256]);
    const r = gcStore(store, { maxBytes: limit, keep });
    // config is pinned, so the next-oldest unpinned blobs go until the total fits.
    expect(r.removed.map((b) => b.sha256)).toEqual([bySize['generation_config.json'].sha256, bySize['expected.safetensors'].sha256]);
    expect(r.keptBytes).toBe(838 + 330488);
    expect(store.has(bySize['config.json'].sha256)).toBe(true);
  });

  test('gc by age removes blobs unused for longer than the limit', async () => {
    const store = new LocalStore(tempDir());
    const put = await store.putFile(path.join(HF_TINY, 'llama', 'config.json'));
    fs.utimesSync(store.pathOf(put.sha256), new Date('2026-01-01'), new Date('2026-01-01'));
    expect(gcStore(store, { maxAgeDays: 30, now: new Date('2026-01-20') }).removed).toEqual([]);
    expect(gcStore(store, { maxAgeDays: 30, now: new Date('2026-03-01') }).removed.map((b) => b.sha256)).toEqual([put.sha256]);
    expect(store.has(put.sha256)).toBe(false);
  });

  test('verify finds a blob corrupted through a hard link and repair quarantines it', async () => {
    const store = new LocalStore(tempDir());
    await store.putFile(path.join(HF_TINY, 'llama', 'config.json'));
    await store.putFile(path.join(HF_TINY, 'llama', 'model.safetensors'));
    const blob = store.pathOf(LLAMA_MODEL_SHA);
    fs.chmodSync(blob, 0o644);
    const fd = fs.openSync(blob, 'r+');
    fs.writeSync(fd, Buffer.from([0xff]), 0, 1, 1000);
    fs.closeSync(fd);
    const r = await verifyStore(store, { repair: true });
    expect(r.checked).toBe(2);
    expect(r.corrupt).toEqual([LLAMA_MODEL_SHA]);
    expect(store.has(LLAMA_MODEL_SHA)).toBe(false);
    expect(fs.existsSync(path.join(store.root, 'corrupt', LLAMA_MODEL_SHA))).toBe(true);
    expect((await verifyStore(store)).corrupt).toEqual([]);
  });

  test('parseSize reads Nx-style sizes and names the field on bad input', () => {
    expect(parseSize('50GB')).toBe(50e9);
    expect(parseSize('512MiB')).toBe(512 * 2 ** 20);
    expect(parseSize('1000')).toBe(1000);
    expect(() => parseSize('lots', 'max-size')).toThrow(/field: max-size/);
  });
});

function copyDir(src: string): string {
  const dir = tempDir();
  for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(dir, f));
  return dir;
}
