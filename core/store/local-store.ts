import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { NxMlcError } from '../support/errors';
import { isSha256, sha256File } from './hash';

/** How a blob reached its destination when materialised. */
export type MaterialiseMethod = 'reflink' | 'hardlink' | 'copy';
export type MaterialiseMode = 'auto' | MaterialiseMethod;

export interface BlobInfo {
  sha256: string;
  size: number;
  /** Last time the blob was put or materialised (the blob's atime, which the store sets itself). */
  lastUsed: Date;
}

export interface PutResult {
  sha256: string;
  size: number;
  /** False when the store already had these bytes (nothing was written). */
  added: boolean;
}

/** Where the store lives unless told otherwise: $NXMLC_STORE, else the user's cache directory. */
export function defaultStoreRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NXMLC_STORE) return path.resolve(env.NXMLC_STORE);
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'nx-mlc', 'store');
}

/**
 * A content-addressed blob store in a local directory: each distinct byte sequence is stored once,
 * under its sha256, however many models, quantizations or checkouts refer to it.
 *
 *   <root>/blobs/sha256/<2 hex>/<64 hex>   read-only blobs, complete and verified
 *   <root>/tmp/                             writes in progress (same filesystem, so commit is a rename)
 *
 * A blob appears under blobs/ only by rename after its hash was checked, so a crash leaves at most a
 * stray temp file, never a plausible-looking wrong blob.
 */
export class LocalStore {
  readonly root: string;

  constructor(root: string = defaultStoreRoot()) {
    this.root = path.resolve(root);
  }

  get blobsDir(): string {
    return path.join(this.root, 'blobs', 'sha256');
  }

  get tmpDir(): string {
    return path.join(this.root, 'tmp');
  }

  pathOf(sha256: string): string {
    assertSha(sha256);
    return path.join(this.blobsDir, sha256.slice(0, 2), sha256);
  }

  has(sha256: string): boolean {
    return fs.existsSync(this.pathOf(sha256));
  }

  sizeOf(sha256: string): number | undefined {
    try {
      return fs.statSync(this.pathOf(sha256)).size;
    } catch {
      return undefined;
    }
  }

  /** A fresh temp path inside the store (same filesystem as blobs/, so commitTemp is an atomic rename). */
  tempPath(hint = 'blob'): string {
    fs.mkdirSync(this.tmpDir, { recursive: true });
    return path.join(this.tmpDir, `${hint}-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
  }

  /**
   * Move a finished temp file into the store after checking its hash. With `expected`, a mismatch
   * deletes the temp file and throws; the store never holds bytes under the wrong name.
   */
  async commitTemp(tmp: string, expected?: string, knownSha?: string): Promise<PutResult> {
    const sha = knownSha ?? (await sha256File(tmp));
    const size = fs.statSync(tmp).size;
    if (expected && sha !== expected) {
      fs.rmSync(tmp, { force: true });
      throw new NxMlcError(`Content hash mismatch: expected sha256 ${expected}, got ${sha} (${size} bytes)`, {
        file: tmp,
        fix: 'The source is corrupt or changed while it was read; fetch it again.',
      });
    }
    const dest = this.pathOf(sha);
    if (fs.existsSync(dest)) {
      fs.rmSync(tmp, { force: true });
      this.touch(sha);
      return { sha256: sha, size, added: false };
    }
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.chmodSync(tmp, 0o444); // blobs may be hard-linked into outputs: make accidental writes fail loudly
    fs.renameSync(tmp, dest);
    this.touch(sha);
    return { sha256: sha, size, added: true };
  }

  /**
   * Add a file. `link: true` hard-links the file itself into the store (zero copy; the file becomes
   * read-only and shares its inode with the blob): use it for outputs this tool wrote. Otherwise the
   * bytes are copied (reflinked where the filesystem allows) and the source is left untouched.
   */
  async putFile(file: string, opts: { expected?: string; link?: boolean } = {}): Promise<PutResult> {
    if (opts.expected && this.has(opts.expected) && this.sizeOf(opts.expected) === fs.statSync(file).size) {
      this.touch(opts.expected);
      return { sha256: opts.expected, size: fs.statSync(file).size, added: false };
    }
    const tmp = this.tempPath('put');
    if (opts.link) {
      try {
        fs.linkSync(file, tmp);
        return await this.commitTemp(tmp, opts.expected);
      } catch (e) {
        fs.rmSync(tmp, { force: true });
        if (!isCrossDeviceOrUnsupported(e)) throw e;
      }
    }
    const sha = await copyHashing(fs.createReadStream(file, { highWaterMark: 4 << 20 }), tmp);
    return this.commitTemp(tmp, opts.expected, sha);
  }

  /** Add the bytes of a stream (hashing while writing; nothing is buffered whole). */
  async putStream(source: Readable, expected?: string): Promise<PutResult> {
    const tmp = this.tempPath('stream');
    try {
      const sha = await copyHashing(source, tmp);
      return await this.commitTemp(tmp, expected, sha);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
  }

  /**
   * Place a blob at `dest` (atomically: temp + rename). `auto` tries a reflink (an independent
   * copy-on-write file), then a hard link (same inode, read-only), then a plain copy.
   */
  materialise(sha256: string, dest: string, mode: MaterialiseMode = 'auto'): MaterialiseMethod {
    const blob = this.pathOf(sha256);
    if (!fs.existsSync(blob)) {
      throw new NxMlcError(`Blob ${sha256} is not in the local store`, {
        file: blob,
        fix: 'Fetch it from the remote store (configure NXMLC_S3_* / --remote) or re-run the stage that produces it.',
      });
    }
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    const order: MaterialiseMethod[] = mode === 'auto' ? ['reflink', 'hardlink', 'copy'] : [mode];
    let lastError: unknown;
    for (const method of order) {
      const tmp = path.join(path.dirname(dest), `.tmp-${path.basename(dest)}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
      try {
        if (method === 'hardlink') fs.linkSync(blob, tmp);
        else if (method === 'reflink') fs.copyFileSync(blob, tmp, fs.constants.COPYFILE_FICLONE_FORCE);
        else {
          fs.copyFileSync(blob, tmp);
          fs.chmodSync(tmp, 0o644);
        }
        if (method === 'reflink') fs.chmodSync(tmp, 0o644);
        fs.renameSync(tmp, dest);
        this.touch(sha256);
        return method;
      } catch (e) {
        fs.rmSync(tmp, { force: true });
        lastError = e;
        if (mode !== 'auto' || !isCrossDeviceOrUnsupported(e)) throw e;
      }
    }
    throw lastError;
  }

  /** Mark a blob as used now (for least-recently-used eviction). */
  touch(sha256: string): void {
    const p = this.pathOf(sha256);
    try {
      const st = fs.statSync(p);
      fs.utimesSync(p, new Date(), st.mtime);
    } catch {
      /* a concurrent gc removed it: nothing to mark */
    }
  }

  /** Every blob with its size and last use, in no particular order. */
  list(): BlobInfo[] {
    const out: BlobInfo[] = [];
    if (!fs.existsSync(this.blobsDir)) return out;
    for (const prefix of fs.readdirSync(this.blobsDir)) {
      const dir = path.join(this.blobsDir, prefix);
      for (const name of fs.readdirSync(dir)) {
        if (!isSha256(name)) continue;
        const st = fs.statSync(path.join(dir, name));
        out.push({ sha256: name, size: st.size, lastUsed: st.atime });
      }
    }
    return out;
  }

  totalBytes(): number {
    return this.list().reduce((s, b) => s + b.size, 0);
  }

  remove(sha256: string): void {
    fs.rmSync(this.pathOf(sha256), { force: true });
  }
}

function assertSha(s: string): void {
  if (!isSha256(s)) throw new NxMlcError(`Not a sha256 digest: "${s}"`, { fix: 'Pass 64 lowercase hex characters.' });
}

/** Errors that mean "this way of linking/cloning is not possible here": fall back to the next method. */
function isCrossDeviceOrUnsupported(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code === 'EXDEV' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS' || code === 'EPERM' || code === 'EMLINK' || code === 'EINVAL';
}

/** Stream `source` into `dest`, returning the sha256 of what was written. */
async function copyHashing(source: Readable, dest: string): Promise<string> {
  const h = crypto.createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      cb(null, chunk);
    },
  });
  await pipeline(source, tap, fs.createWriteStream(dest));
  return h.digest('hex');
}
