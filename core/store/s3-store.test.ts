import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { tempDir } from '../test-support/paths';
import { LocalStore } from './local-store';
import { ensureLocal, ingestDir, materialiseManifest } from './manifest';
import { S3Store } from './s3-store';
import { startTestS3, type TestS3 } from './test-support/s3-server';

const MiB = 1 << 20;
let s3: TestS3 | undefined;

beforeAll(async () => {
  const started = await startTestS3();
  if (typeof started === 'string') console.warn(`SKIP S3 store tests: ${started}`);
  else s3 = started;
});
afterAll(async () => s3?.close());

/** A file of pseudo-random bytes and its sha256 (computed here with node:crypto, independently of the store). */
function blobFile(size: number): { file: string; sha: string; bytes: Buffer } {
  const bytes = crypto.randomBytes(size);
  const file = path.join(tempDir(), 'blob.bin');
  fs.writeFileSync(file, bytes);
  return { file, sha: crypto.createHash('sha256').update(bytes).digest('hex'), bytes };
}

/** Make the n-th send of a command class fail, as a dropped connection would. */
function failNth(store: S3Store, cmd: { name: string }, n: number): { calls: () => number } {
  const original = store.client.send.bind(store.client);
  let count = 0;
  (store.client as unknown as { send: unknown }).send = async (c: { constructor: { name: string } }, ...rest: unknown[]) => {
    if (c.constructor.name === cmd.name && ++count === n) throw Object.assign(new Error('socket hang up'), { name: 'NetworkError' });
    return (original as (...a: unknown[]) => Promise<unknown>)(c, ...rest);
  };
  return { calls: () => count };
}

const maybe = (name: string, fn: () => Promise<void>) => test(name, async () => (s3 ? fn() : console.warn(`skipped: ${name}`)));

describe('S3Store against a real S3-compatible server', () => {
  maybe('multipart upload and parallel ranged download round-trip a blob byte for byte', async () => {
    const local = new LocalStore(tempDir());
    const remote = new S3Store(s3!.config(local.tmpDir, { partSize: 5 * MiB, concurrency: 3 }));
    const { file, sha, bytes } = blobFile(12 * MiB + 123);
    expect(await remote.stat(sha)).toBeUndefined();
    const progress: number[] = [];
    await remote.upload(file, sha, { onProgress: (d) => progress.push(d) });
    expect(await remote.stat(sha)).toEqual({ size: bytes.length });
    expect(progress.at(-1)).toBe(bytes.length);

    expect(await ensureLocal(local, sha, remote)).toBe('fetched');
    expect(fs.readFileSync(local.pathOf(sha)).equals(bytes)).toBe(true);
    expect(await ensureLocal(local, sha, remote)).toBe('local');
  });

  maybe('an interrupted upload resumes with the parts that are missing, not from the start', async () => {
    const local = new LocalStore(tempDir());
    const cfg = s3!.config(local.tmpDir, { partSize: 5 * MiB, concurrency: 1 });
    const { file, sha, bytes } = blobFile(16 * MiB); // 4 parts: 5 + 5 + 5 + 1 MiB
    const first = new S3Store(cfg);
    failNth(first, UploadPartCommand, 3);
    await expect(first.upload(file, sha)).rejects.toThrow(/socket hang up/);
    expect(await first.stat(sha)).toBeUndefined();

    const second = new S3Store(cfg);
    const counter = failNth(second, UploadPartCommand, 99);
    await second.upload(file, sha);
    expect(counter.calls()).toBe(2); // parts 3 and 4 only
    await ensureLocal(local, sha, second);
    expect(fs.readFileSync(local.pathOf(sha)).equals(bytes)).toBe(true);
  });

  maybe('an interrupted download resumes and the result is verified', async () => {
    const producer = new LocalStore(tempDir());
    const { file, sha, bytes } = blobFile(11 * MiB);
    await new S3Store(s3!.config(producer.tmpDir, { partSize: 5 * MiB })).upload(file, sha);

    const consumer = new LocalStore(tempDir());
    const cfg = s3!.config(consumer.tmpDir, { partSize: 5 * MiB, concurrency: 1 });
    const first = new S3Store(cfg);
    failNth(first, GetObjectCommand, 2);
    await expect(ensureLocal(consumer, sha, first)).rejects.toThrow(/socket hang up/);
    expect(consumer.has(sha)).toBe(false);

    const second = new S3Store(cfg);
    const counter = failNth(second, GetObjectCommand, 99);
    expect(await ensureLocal(consumer, sha, second)).toBe('fetched');
    expect(counter.calls()).toBe(2); // parts 2 and 3 of 3
    expect(fs.readFileSync(consumer.pathOf(sha)).equals(bytes)).toBe(true);
  });

  maybe('bytes on the remote that do not match their name never enter the local store', async () => {
    const local = new LocalStore(tempDir());
    const remote = new S3Store(s3!.config(local.tmpDir));
    const claimed = crypto.createHash('sha256').update('the real content').digest('hex');
    await remote.client.send(new PutObjectCommand({ Bucket: remote.bucket, Key: remote.keyOf(claimed), Body: 'poisoned content' }));
    await expect(ensureLocal(local, claimed, remote)).rejects.toThrow(/hash mismatch/);
    expect(local.has(claimed)).toBe(false);
  });

  maybe('a fresh machine materialises a pushed directory from its manifest alone', async () => {
    const producer = new LocalStore(tempDir());
    const dir = tempDir();
    const { bytes } = blobFile(6 * MiB);
    fs.writeFileSync(path.join(dir, 'params_shard_0.bin'), bytes);
    fs.writeFileSync(path.join(dir, 'tensor-cache.json'), '{"records":[]}');
    const remoteP = new S3Store(s3!.config(producer.tmpDir, { partSize: 5 * MiB }));
    const manifest = await ingestDir(producer, dir, { include: (p) => p.endsWith('.bin'), link: true, remote: remoteP });

    const consumer = new LocalStore(tempDir());
    const out = tempDir();
    const r = await materialiseManifest(consumer, manifest, out, { remote: new S3Store(s3!.config(consumer.tmpDir)) });
    expect(r).toMatchObject({ files: 1, fetched: 1 });
    expect(fs.readFileSync(path.join(out, 'params_shard_0.bin')).equals(bytes)).toBe(true);
  });

  maybe('concurrent fetches of one blob into one store download it once and both succeed', async () => {
    const producer = new LocalStore(tempDir());
    const { file, sha, bytes } = blobFile(6 * MiB);
    await new S3Store(s3!.config(producer.tmpDir, { partSize: 5 * MiB })).upload(file, sha);
    const root = tempDir();
    const a = new LocalStore(root);
    const b = new LocalStore(root);
    const ra = new S3Store(s3!.config(a.tmpDir, { partSize: 5 * MiB }));
    const rb = new S3Store(s3!.config(b.tmpDir, { partSize: 5 * MiB }));
    const gets = [failNth(ra, GetObjectCommand, 99), failNth(rb, GetObjectCommand, 99)];
    const results = await Promise.all([ensureLocal(a, sha, ra), ensureLocal(b, sha, rb)]);
    expect(results.sort()).toEqual(['fetched', 'local']);
    expect(gets[0].calls() + gets[1].calls()).toBe(2); // one download of 2 parts, not two
    expect(fs.readFileSync(a.pathOf(sha)).equals(bytes)).toBe(true);
    expect(fs.readdirSync(a.tmpDir).filter((f) => f.includes(sha))).toEqual([]); // lock and temp gone
  });

  maybe('a missing bucket is reported with the variable to fix', async () => {
    const remote = new S3Store(s3!.config(tempDir(), { bucket: 'no-such-bucket' }));
    const { file, sha } = blobFile(1000);
    await expect(remote.upload(file, sha)).rejects.toThrow(/NXMLC_S3_BUCKET/);
  });
});
