import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

/** Where the cache server keeps Nx's task archives. Entries are immutable: a second put is refused. */
export interface CacheBackend {
  readonly description: string;
  get(hash: string): Promise<{ size: number; body: Readable } | undefined>;
  has(hash: string): Promise<boolean>;
  /** Store exactly `size` bytes from `body`; 'exists' when the entry was already there (nothing changes). */
  put(hash: string, body: Readable, size: number): Promise<'stored' | 'exists'>;
}

export class BodyLengthError extends Error {}

/** Counts bytes through a stream and fails it when they differ from Content-Length. */
function lengthGuard(expected: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      seen += chunk.length;
      if (seen > expected) cb(new BodyLengthError(`body is longer than Content-Length ${expected}`));
      else cb(null, chunk);
    },
    flush(cb) {
      cb(seen === expected ? null : new BodyLengthError(`body has ${seen} bytes, Content-Length said ${expected}`));
    },
  });
}

/**
 * Entries as files in a directory (the local store's root by default: `<store>/nx-cache/<hash>`).
 * A put streams to a temp file, then hard-links it to its final name: link(2) fails if the name
 * exists, which makes "refuse overwrites" atomic even under concurrent puts of the same hash.
 */
export class FsCacheBackend implements CacheBackend {
  constructor(readonly dir: string) {
    fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  }

  get description(): string {
    return this.dir;
  }

  private fileOf(hash: string): string {
    return path.join(this.dir, hash);
  }

  async has(hash: string): Promise<boolean> {
    return fs.existsSync(this.fileOf(hash));
  }

  async get(hash: string): Promise<{ size: number; body: Readable } | undefined> {
    try {
      const fd = fs.openSync(this.fileOf(hash), 'r');
      const size = fs.fstatSync(fd).size;
      return { size, body: fs.createReadStream('', { fd, highWaterMark: 1 << 20 }) };
    } catch {
      return undefined;
    }
  }

  async put(hash: string, body: Readable, size: number): Promise<'stored' | 'exists'> {
    const tmp = path.join(this.dir, 'tmp', `${hash}-${crypto.randomBytes(6).toString('hex')}`);
    try {
      await pipeline(body, lengthGuard(size), fs.createWriteStream(tmp));
      try {
        fs.linkSync(tmp, this.fileOf(hash));
        return 'stored';
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
        throw e;
      }
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
}

/**
 * Entries as objects `<prefix>nx-cache/<hash>` in the same S3-compatible bucket as the weight store.
 * Uploads stream through lib-storage's multipart uploader: memory stays at queueSize x partSize
 * however large the archive.
 */
export class S3CacheBackend implements CacheBackend {
  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    readonly prefix = '',
    private readonly partSize = 8 << 20,
    private readonly queueSize = 4,
  ) {}

  get description(): string {
    return `s3://${this.bucket}/${this.prefix}nx-cache/`;
  }

  private keyOf(hash: string): string {
    return `${this.prefix}nx-cache/${hash}`;
  }

  async has(hash: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(hash) }));
      return true;
    } catch (e) {
      if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
      throw e;
    }
  }

  async get(hash: string): Promise<{ size: number; body: Readable } | undefined> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(hash) }));
      return { size: Number(r.ContentLength), body: r.Body as Readable };
    } catch (e) {
      if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
      throw e;
    }
  }

  async put(hash: string, body: Readable, size: number): Promise<'stored' | 'exists'> {
    // Refuse overwrites (the CREEP guidance): a cheap HEAD first, then If-None-Match: * on the write itself,
    // which AWS S3, MinIO and R2 enforce atomically (412 when the key appeared meanwhile). Services that
    // ignore the header leave only the window between HEAD and write, in which a racing writer of the same
    // hash can only be writing that task's output too.
    if (await this.has(hash)) return 'exists';
    const guarded = body.pipe(lengthGuard(size));
    body.on('error', (e) => guarded.destroy(e));
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.keyOf(hash), Body: guarded, ContentType: 'application/octet-stream', IfNoneMatch: '*' },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412 || status === 409) return 'exists';
      throw e;
    }
    return 'stored';
  }
}
