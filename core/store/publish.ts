import * as fs from 'node:fs';
import * as path from 'node:path';
import { openStores } from './config';
import { ingestDir, MANIFEST_FILE, materialiseManifest, readStoreManifest, type MaterialiseResult, type StoreManifest } from './manifest';
import type { LocalStore, MaterialiseMode } from './local-store';
import { gcStore, parseSize } from './gc';

/** Weight shards: what goes into the store when a stage publishes its output directory. */
export const SHARD_RE = /(^|\/)params_shard_\d+\.bin$/;

/**
 * For a stage that wrote big files (convert-weight): hard-link them into the content-addressed store,
 * push them to the remote store when one is configured, and write `<dir>/nx-mlc-store.json`. Declare that
 * manifest (not the shards) as the Nx output, so Nx caches a few KB.
 */
export async function publishDir(dir: string, o: { include?: RegExp; storeRoot?: string } = {}): Promise<StoreManifest> {
  const { local, remote } = openStores({ root: o.storeRoot });
  const re = o.include ?? SHARD_RE;
  const m = await ingestDir(local, dir, { include: (p) => re.test(p), link: true, remote });
  enforceLimit(local, m);
  return m;
}

/**
 * With NXMLC_STORE_MAX_SIZE set, keep the local store under it after each publish/materialise, evicting
 * least-recently-used blobs other than the ones just used (evicted blobs can be fetched from the remote).
 */
export function enforceLimit(local: LocalStore, inUse: StoreManifest, env: NodeJS.ProcessEnv = process.env): void {
  const limit = env.NXMLC_STORE_MAX_SIZE;
  if (!limit) return;
  gcStore(local, { maxBytes: parseSize(limit, 'NXMLC_STORE_MAX_SIZE'), keep: new Set(inUse.files.map((f) => f.sha256)) });
}

/**
 * For a stage that reads a published directory (compile, validate, packaging): when the directory has a
 * store manifest, make sure every file it lists is in place — from the local store, or fetched from the
 * remote one (e.g. on a fresh machine after an Nx cache hit restored only the manifest). No manifest: no-op.
 */
export async function materialiseDir(dir: string, o: { storeRoot?: string; mode?: MaterialiseMode } = {}): Promise<MaterialiseResult | undefined> {
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) return undefined;
  const { local, remote } = openStores({ root: o.storeRoot });
  const m = readStoreManifest(file);
  const r = await materialiseManifest(local, m, dir, { remote, mode: o.mode });
  enforceLimit(local, m);
  return r;
}
