import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Content digests of files, memoised by (path, size, mtime) in a small JSON file under Nx's workspace data
 * directory, so a 16 GB checkpoint is read once and then only stat'ed. A file modified within the last two
 * seconds is not memoised (git's "racy" rule: a second write in the same mtime tick would go unnoticed).
 */

const RACY_MS = 2000;

interface MemoEntry {
  size: number;
  mtimeNs: string;
  sha256: string;
}

export class DigestMemo {
  private entries: Record<string, MemoEntry> = {};
  private dirty = false;

  constructor(private readonly memoFile: string | null) {
    if (!memoFile) return;
    try {
      const parsed = JSON.parse(fs.readFileSync(memoFile, 'utf8'));
      if (parsed && parsed.version === 1 && typeof parsed.entries === 'object') this.entries = parsed.entries;
    } catch {
      // no memo yet, or a torn one: start empty (it only costs a re-read)
    }
  }

  /** sha256 of the file's bytes, or null when it does not exist. */
  digest(file: string): string | null {
    const abs = path.resolve(file);
    let st: fs.BigIntStats;
    try {
      st = fs.statSync(abs, { bigint: true });
    } catch {
      return null;
    }
    if (!st.isFile()) return null;
    const size = Number(st.size);
    const mtimeNs = st.mtimeNs.toString();
    const hit = this.entries[abs];
    if (hit && hit.size === size && hit.mtimeNs === mtimeNs) return hit.sha256;
    const sha256 = hashFile(abs);
    const age = Date.now() - Number(st.mtimeNs / 1000000n);
    if (age > RACY_MS) {
      this.entries[abs] = { size, mtimeNs, sha256 };
      this.dirty = true;
    } else if (hit) {
      delete this.entries[abs];
      this.dirty = true;
    }
    return sha256;
  }

  /** Write the memo atomically (temp + rename); concurrent writers lose entries, never corrupt the file. */
  save(): void {
    if (!this.memoFile || !this.dirty) return;
    try {
      fs.mkdirSync(path.dirname(this.memoFile), { recursive: true });
      const tmp = `${this.memoFile}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify({ version: 1, entries: this.entries }));
      fs.renameSync(tmp, this.memoFile);
      this.dirty = false;
    } catch {
      // a read-only data directory only costs speed
    }
  }
}

/** Stream the file through sha256 in 4 MiB reads (never the whole file in memory). */
export function hashFile(file: string): string {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(4 * 2 ** 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** Nx's workspace data directory (where Nx keeps its own file-hash archive), as Nx picks it. */
export function workspaceDataDir(workspaceRoot: string): string {
  const env = process.env.NX_WORKSPACE_DATA_DIRECTORY ?? process.env.NX_PROJECT_GRAPH_CACHE_DIRECTORY;
  return env ? path.resolve(workspaceRoot, env) : path.join(workspaceRoot, '.nx', 'workspace-data');
}

export function defaultMemoFile(workspaceRoot: string): string {
  return path.join(workspaceDataDir(workspaceRoot), 'nx-mlc', 'file-digests.json');
}
