import * as fs from 'node:fs';
import * as path from 'node:path';
import { NxMlcError } from '../support/errors';
import type { BlobInfo, LocalStore } from './local-store';

export interface GcOptions {
  /** Evict least-recently-used blobs until the store holds at most this many bytes. */
  maxBytes?: number;
  /** Evict blobs not used for this many days. */
  maxAgeDays?: number;
  /** Blobs never evicted (e.g. those referenced by manifests the caller wants to keep). */
  keep?: ReadonlySet<string>;
  /** Report what would be removed without removing it. */
  dryRun?: boolean;
  now?: Date;
}

export interface GcResult {
  removed: BlobInfo[];
  freedBytes: number;
  keptBytes: number;
  /** Stale temp files (from interrupted writes older than a day) that were deleted. */
  removedTemps: number;
}

const DAY_MS = 86_400_000;

/**
 * Garbage-collect the local store: first by age, then least-recently-used until under `maxBytes`.
 * Removing a blob never breaks a hard-linked or reflinked materialisation (the file keeps its data);
 * a copy was independent from the start. What is gone can be re-fetched from a remote store.
 */
export function gcStore(store: LocalStore, o: GcOptions): GcResult {
  const now = (o.now ?? new Date()).getTime();
  const keep = o.keep ?? new Set<string>();
  const blobs = store.list().sort((a, b) => a.lastUsed.getTime() - b.lastUsed.getTime() || a.sha256.localeCompare(b.sha256));
  const removed: BlobInfo[] = [];
  let total = blobs.reduce((s, b) => s + b.size, 0);
  const evict = (b: BlobInfo): void => {
    if (!o.dryRun) store.remove(b.sha256);
    removed.push(b);
    total -= b.size;
  };
  const candidates = blobs.filter((b) => !keep.has(b.sha256));
  if (o.maxAgeDays !== undefined) {
    for (const b of candidates) if (now - b.lastUsed.getTime() > o.maxAgeDays * DAY_MS) evict(b);
  }
  if (o.maxBytes !== undefined) {
    for (const b of candidates) {
      if (total <= o.maxBytes) break;
      if (!removed.includes(b)) evict(b);
    }
  }
  let removedTemps = 0;
  if (fs.existsSync(store.tmpDir)) {
    for (const name of fs.readdirSync(store.tmpDir)) {
      const p = path.join(store.tmpDir, name);
      try {
        if (now - fs.statSync(p).mtimeMs > DAY_MS) {
          if (!o.dryRun) fs.rmSync(p, { force: true, recursive: true });
          removedTemps++;
        }
      } catch {
        /* raced with its writer finishing */
      }
    }
  }
  return { removed, freedBytes: removed.reduce((s, b) => s + b.size, 0), keptBytes: total, removedTemps };
}

const UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40 };

/** Parse a size like Nx's maxCacheSize: "50GB", "512MiB", "1000" (bytes). */
export function parseSize(s: string, field = 'size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(s);
  const unit = m ? (m[2] || 'B').toUpperCase() : '';
  if (!m || !(unit in UNITS)) {
    throw new NxMlcError(`Cannot read the size "${s}"`, { field, fix: 'Write a number with an optional unit: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB (e.g. 50GB).' });
  }
  return Math.floor(Number(m[1]) * UNITS[unit]);
}
