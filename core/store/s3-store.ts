import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { writeFileAtomic } from '../support/atomic';
import { NxMlcError } from '../support/errors';
import type { RemoteStore, TransferOptions } from './remote';
import { runPool } from './run-pool';

export interface S3StoreConfig {
  bucket: string;
  /** Key prefix inside the bucket ("" or ending in "/"). */
  prefix?: string;
  /** Endpoint of an S3-compatible service (MinIO, R2, Ceph, ...); omit for AWS. */
  endpoint?: string;
  region?: string;
  /** Path-style addressing (most self-hosted services need it); defaults to true when an endpoint is set. */
  forcePathStyle?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Multipart part size in bytes (S3's minimum is 5 MiB for all but the last part). */
  partSize?: number;
  /** Parts in flight at once. Memory stays O(concurrency x socket buffers): parts are streamed from disk. */
  concurrency?: number;
  /** Where resumable-upload state is kept (upload ids and finished parts); normally <local store>/tmp. */
  stateDir: string;
}

const MiB = 1 << 20;

/** Read the S3 store configuration from NXMLC_S3_* variables (credentials from the usual AWS chain). */
export function s3ConfigFromEnv(stateDir: string, env: NodeJS.ProcessEnv = process.env): S3StoreConfig | undefined {
  if (!env.NXMLC_S3_BUCKET) return undefined;
  return {
    bucket: env.NXMLC_S3_BUCKET,
    prefix: env.NXMLC_S3_PREFIX ?? '',
    endpoint: env.NXMLC_S3_ENDPOINT || undefined,
    region: env.NXMLC_S3_REGION || env.AWS_REGION || 'us-east-1',
    partSize: env.NXMLC_S3_PART_SIZE ? Number(env.NXMLC_S3_PART_SIZE) : undefined,
    concurrency: env.NXMLC_S3_CONCURRENCY ? Number(env.NXMLC_S3_CONCURRENCY) : undefined,
    stateDir,
  };
}

export function makeS3Client(c: Pick<S3StoreConfig, 'endpoint' | 'region' | 'forcePathStyle' | 'credentials'>): S3Client {
  return new S3Client({
    endpoint: c.endpoint,
    region: c.region ?? 'us-east-1',
    forcePathStyle: c.forcePathStyle ?? Boolean(c.endpoint),
    credentials: c.credentials,
    // Only checksum when the operation requires it: many S3-compatible services reject the newer
    // flexible-checksum trailers, and we verify sha256 end to end ourselves.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

interface UploadState {
  uploadId: string;
  size: number;
  partSize: number;
  /** ETag of each finished part, by 1-based part number. */
  parts: Record<string, string>;
}

/**
 * Blobs in an S3-compatible bucket under `<prefix>blobs/sha256/<sha>`. Uploads are multipart, parallel,
 * streamed from disk part by part, and resumable across processes (the upload id and finished parts are
 * recorded in a small state file). Downloads are parallel ranged GETs written in place, resumable the
 * same way. Neither ever holds a blob in memory.
 */
export class S3Store implements RemoteStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly partSize: number;
  readonly concurrency: number;
  private readonly stateDir: string;

  constructor(c: S3StoreConfig, client?: S3Client) {
    this.client = client ?? makeS3Client(c);
    this.bucket = c.bucket;
    this.prefix = c.prefix ?? '';
    this.partSize = Math.max(5 * MiB, c.partSize ?? 64 * MiB);
    this.concurrency = Math.max(1, c.concurrency ?? 4);
    this.stateDir = c.stateDir;
  }

  get description(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  keyOf(sha256: string): string {
    return `${this.prefix}blobs/sha256/${sha256}`;
  }

  async stat(sha256: string): Promise<{ size: number } | undefined> {
    try {
      const h = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(sha256) }));
      return { size: Number(h.ContentLength ?? 0) };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw wrapS3Error(e, this.description);
    }
  }

  async upload(file: string, sha256: string, opts: TransferOptions = {}): Promise<void> {
    const size = fs.statSync(file).size;
    const Key = this.keyOf(sha256);
    const Metadata = { sha256 };
    if (size <= this.partSize) {
      await this.client
        .send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: fs.createReadStream(file), ContentLength: size, Metadata }))
        .catch((e: unknown) => {
          throw wrapS3Error(e, this.description);
        });
      opts.onProgress?.(size, size);
      return;
    }
    const stateFile = path.join(this.stateDir, `upload-${sha256}.json`);
    let state = readState<UploadState>(stateFile);
    if (state && (state.size !== size || state.partSize !== this.partSize)) state = undefined;
    if (!state) {
      const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key, Metadata }));
      state = { uploadId: created.UploadId!, size, partSize: this.partSize, parts: {} };
      saveState(stateFile, state);
    }
    const s = state;
    const nParts = Math.ceil(size / s.partSize);
    const todo = Array.from({ length: nParts }, (_, i) => i + 1).filter((n) => !s.parts[n]);
    let done = (nParts - todo.length) * s.partSize;
    try {
      await runPool(todo, this.concurrency, async (n) => {
        const start = (n - 1) * s.partSize;
        const end = Math.min(size, start + s.partSize);
        const r = await this.client.send(
          new UploadPartCommand({
            Bucket: this.bucket,
            Key,
            UploadId: s.uploadId,
            PartNumber: n,
            Body: fs.createReadStream(file, { start, end: end - 1, highWaterMark: MiB }),
            ContentLength: end - start,
          }),
        );
        s.parts[n] = r.ETag!;
        saveState(stateFile, s); // one small JSON write per part: a crash loses at most the parts in flight
        done += end - start;
        opts.onProgress?.(Math.min(done, size), size);
      });
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key,
          UploadId: s.uploadId,
          MultipartUpload: { Parts: Array.from({ length: nParts }, (_, i) => ({ PartNumber: i + 1, ETag: s.parts[i + 1] })) },
        }),
      );
    } catch (e) {
      if (isNoSuchUpload(e)) {
        // The service forgot the upload (expired or aborted): start over once.
        fs.rmSync(stateFile, { force: true });
        return this.upload(file, sha256, opts);
      }
      throw wrapS3Error(e, this.description);
    }
    fs.rmSync(stateFile, { force: true });
    const remote = await this.stat(sha256);
    if (remote?.size !== size) throw new NxMlcError(`Upload of ${sha256} left ${remote?.size ?? 'nothing'} bytes on ${this.description}, expected ${size}`, { fix: 'Retry; check the service for a proxy that truncates bodies.' });
  }

  /** Abandon a resumable upload (e.g. in tests or after `store gc`). */
  async abortUpload(sha256: string): Promise<void> {
    const stateFile = path.join(this.stateDir, `upload-${sha256}.json`);
    const state = readState<UploadState>(stateFile);
    if (!state) return;
    await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.keyOf(sha256), UploadId: state.uploadId })).catch(() => undefined);
    fs.rmSync(stateFile, { force: true });
  }

  async download(sha256: string, dest: string, opts: TransferOptions = {}): Promise<void> {
    const remote = await this.stat(sha256);
    if (!remote) {
      throw new NxMlcError(`Blob ${sha256} is in neither the local store nor ${this.description}`, {
        fix: 'Re-run the stage that produces it (or push it from the machine that has it: nx-mlc store push).',
      });
    }
    const size = remote.size;
    const stateFile = `${dest}.parts.json`;
    let state = readState<{ size: number; partSize: number; done: number[] }>(stateFile);
    if (!state || state.size !== size || state.partSize !== this.partSize || !fs.existsSync(dest)) {
      state = { size, partSize: this.partSize, done: [] };
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      const fd = fs.openSync(dest, 'w');
      fs.ftruncateSync(fd, size); // preallocate so parts can be written in any order
      fs.closeSync(fd);
      saveState(stateFile, state);
    }
    const s = state;
    const nParts = Math.max(1, Math.ceil(size / s.partSize));
    const finished = new Set(s.done);
    const todo = Array.from({ length: nParts }, (_, i) => i).filter((i) => !finished.has(i));
    let done = (nParts - todo.length) * s.partSize;
    try {
      await runPool(todo, this.concurrency, async (i) => {
        const start = i * s.partSize;
        const end = Math.min(size, start + s.partSize);
        if (end > start) {
          const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(sha256), Range: `bytes=${start}-${end - 1}` }));
          await pipeline(r.Body as Readable, fs.createWriteStream(dest, { flags: 'r+', start }));
        }
        s.done.push(i);
        saveState(stateFile, s);
        done += end - start;
        opts.onProgress?.(Math.min(done, size), size);
      });
    } catch (e) {
      throw wrapS3Error(e, this.description);
    }
    fs.rmSync(stateFile, { force: true });
  }
}

function readState<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function saveState(file: string, state: unknown): void {
  writeFileAtomic(file, JSON.stringify(state));
}

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NotFound' || err?.name === 'NoSuchKey' || err?.$metadata?.httpStatusCode === 404;
}

function isNoSuchUpload(e: unknown): boolean {
  return (e as { name?: string; Code?: string })?.name === 'NoSuchUpload' || (e as { Code?: string })?.Code === 'NoSuchUpload';
}

function wrapS3Error(e: unknown, where: string): Error {
  if (e instanceof NxMlcError) return e;
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  if (err?.name === 'NoSuchBucket') {
    return new NxMlcError(`The bucket of ${where} does not exist`, { field: 'NXMLC_S3_BUCKET', fix: 'Create the bucket or point NXMLC_S3_BUCKET at an existing one.' });
  }
  if (err?.name === 'AccessDenied' || err?.name === 'InvalidAccessKeyId' || err?.name === 'SignatureDoesNotMatch') {
    return new NxMlcError(`${where} refused the credentials (${err.name})`, { field: 'AWS_ACCESS_KEY_ID', fix: 'Set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or an AWS profile) with read/write access to the bucket.' });
  }
  return e instanceof Error ? e : new Error(String(e));
}
