import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../support/atomic';
import { NxMlcError } from '../support/errors';
import { isSha256 } from './hash';
import { STORE_MANIFEST_FILE } from '../../schema/store-manifest';
import type { LocalStore, MaterialiseMethod, MaterialiseMode } from './local-store';
import type { RemoteStore } from './remote';

/**
 * A store manifest: the small file Nx caches in place of the big ones. It lists each file of a
 * directory by relative path, size and sha256; the bytes live in the content-addressed store.
 */
export interface StoreManifest {
  kind: 'nx-mlc-store-manifest';
  version: 1;
  files: StoreManifestEntry[];
}

export interface StoreManifestEntry {
  path: string;
  size: number;
  sha256: string;
}

export const MANIFEST_FILE = STORE_MANIFEST_FILE;

export function readStoreManifest(file: string): StoreManifest {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new NxMlcError(`Cannot read the store manifest: ${(e as Error).message}`, { file, fix: 'Re-run the stage that wrote it.' });
  }
  // An acquire lock lists the same (path, size, sha256) triples: it can be materialised as is.
  const asLock = data as { kind?: string; version?: number; files?: StoreManifestEntry[] };
  if (asLock?.kind === 'nx-mlc-acquire-lock' && asLock.version === 1 && Array.isArray(asLock.files)) {
    data = { kind: 'nx-mlc-store-manifest', version: 1, files: asLock.files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })) };
  }
  const m = data as StoreManifest;
  if (m?.kind !== 'nx-mlc-store-manifest' || m.version !== 1 || !Array.isArray(m.files)) {
    throw new NxMlcError('Not an nx-mlc store manifest (version 1)', { file, field: 'kind', fix: 'Re-run the stage that wrote it with this version of nx-mlc.' });
  }
  for (const [i, f] of m.files.entries()) {
    if (typeof f.path !== 'string' || !isSafeRelative(f.path) || !Number.isInteger(f.size) || !isSha256(String(f.sha256))) {
      throw new NxMlcError(`Bad entry in the store manifest: ${JSON.stringify(f)}`, { file, field: `files[${i}]`, fix: 'Re-run the stage that wrote it.' });
    }
  }
  return m;
}

function isSafeRelative(p: string): boolean {
  return p.length > 0 && !path.isAbsolute(p) && !p.split(/[\\/]/).includes('..');
}

/** Relative paths of the regular files under `dir`, sorted, skipping temp files and the manifest. */
function listFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.name.startsWith('.tmp-') || r === MANIFEST_FILE) continue;
    if (e.isDirectory()) out.push(...listFiles(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out.sort();
}

export interface IngestOptions {
  /** Which files go into the store (default: all). The rest stay as they are and are not listed. */
  include?: (relPath: string) => boolean;
  /** Hard-link the files into the store instead of copying (for outputs this tool wrote). */
  link?: boolean;
  /** Also push each blob to this remote store when it lacks it. */
  remote?: RemoteStore;
  manifestFile?: string;
}

/** Put the files of `dir` into the store and write `<dir>/nx-mlc-store.json` (atomically, last). */
export async function ingestDir(store: LocalStore, dir: string, o: IngestOptions = {}): Promise<StoreManifest> {
  const files: StoreManifestEntry[] = [];
  for (const rel of listFiles(dir)) {
    if (o.include && !o.include(rel)) continue;
    const put = await store.putFile(path.join(dir, rel), { link: o.link });
    files.push({ path: rel, size: put.size, sha256: put.sha256 });
  }
  const manifest: StoreManifest = { kind: 'nx-mlc-store-manifest', version: 1, files };
  if (o.remote) await pushManifest(store, o.remote, manifest);
  writeFileAtomic(o.manifestFile ?? path.join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** Upload every blob of the manifest that the remote lacks. Returns the number of bytes sent. */
export async function pushManifest(store: LocalStore, remote: RemoteStore, manifest: StoreManifest): Promise<number> {
  let sent = 0;
  for (const f of uniqueBlobs(manifest)) {
    const there = await remote.stat(f.sha256);
    if (there?.size === f.size) continue;
    await remote.upload(store.pathOf(f.sha256), f.sha256);
    sent += f.size;
  }
  return sent;
}

/** Make sure the local store has the blob, fetching (and verifying) it from the remote if needed. */
export async function ensureLocal(store: LocalStore, sha256: string, remote?: RemoteStore): Promise<'local' | 'fetched'> {
  if (store.has(sha256)) return 'local';
  if (!remote) {
    throw new NxMlcError(`Blob ${sha256} is not in the local store (${store.root}) and no remote store is configured`, {
      field: 'NXMLC_S3_BUCKET',
      fix: 'Configure the remote store (NXMLC_S3_BUCKET, NXMLC_S3_ENDPOINT) or re-run the stage that produces the files.',
    });
  }
  // A stable temp name lets an interrupted download resume where it stopped; the lock keeps two processes
  // (e.g. Nx running compile and validate of one model in parallel) from writing it at the same time.
  fs.mkdirSync(store.tmpDir, { recursive: true });
  return withBlobLock(store, sha256, async () => {
    if (store.has(sha256)) return 'local';
    const tmp = path.join(store.tmpDir, `fetch-${sha256}`);
    await remote.download(sha256, tmp);
    await store.commitTemp(tmp, sha256);
    return 'fetched';
  });
}

/** A lock older than this without a heartbeat belongs to a process that died. */
const STALE_LOCK_MS = 30_000;

async function withBlobLock<T>(store: LocalStore, sha256: string, fn: () => Promise<T | 'local'>): Promise<T | 'local'> {
  const lock = path.join(store.tmpDir, `fetch-${sha256}.lock`);
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = fs.openSync(lock, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (store.has(sha256)) return 'local';
      let age = 0;
      try {
        age = Date.now() - fs.statSync(lock).mtimeMs;
      } catch {
        continue; // released between our open and stat
      }
      if (age > STALE_LOCK_MS) fs.rmSync(lock, { force: true });
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    try {
      fs.utimesSync(lock, now, now);
    } catch {
      /* removed as stale by someone else: they will fetch too, and commitTemp tolerates that */
    }
  }, STALE_LOCK_MS / 6);
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    fs.closeSync(fd);
    fs.rmSync(lock, { force: true });
  }
}

export interface MaterialiseResult {
  files: number;
  bytes: number;
  fetched: number;
  skipped: number;
  methods: Partial<Record<MaterialiseMethod, number>>;
}

/**
 * Lay out the files a manifest lists under `destDir`, from the local store (fetching missing blobs
 * from the remote first). Files already in place as hard links to the blob (same inode) are left
 * alone, so a second call is nearly free; anything else at a destination is replaced.
 */
export async function materialiseManifest(
  store: LocalStore,
  manifest: StoreManifest,
  destDir: string,
  o: { remote?: RemoteStore; mode?: MaterialiseMode } = {},
): Promise<MaterialiseResult> {
  const res: MaterialiseResult = { files: 0, bytes: 0, fetched: 0, skipped: 0, methods: {} };
  for (const f of manifest.files) {
    const dest = path.join(destDir, f.path);
    res.files++;
    res.bytes += f.size;
    if (alreadyThere(store, f, dest)) {
      res.skipped++;
      continue;
    }
    if ((await ensureLocal(store, f.sha256, o.remote)) === 'fetched') res.fetched++;
    const method = store.materialise(f.sha256, dest, o.mode);
    res.methods[method] = (res.methods[method] ?? 0) + 1;
  }
  return res;
}

function alreadyThere(store: LocalStore, f: StoreManifestEntry, dest: string): boolean {
  try {
    const d = fs.statSync(dest);
    const b = fs.statSync(store.pathOf(f.sha256));
    return d.ino === b.ino && d.dev === b.dev;
  } catch {
    return false;
  }
}

function uniqueBlobs(m: StoreManifest): StoreManifestEntry[] {
  const seen = new Set<string>();
  return m.files.filter((f) => !seen.has(f.sha256) && (seen.add(f.sha256), true));
}
