import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { HF_TINY, tempDir } from '../test-support/paths';
import { makeS3Client } from '../store/s3-store';
import { startTestS3, type TestS3 } from '../store/test-support/s3-server';
import { FsCacheBackend, S3CacheBackend, type CacheBackend } from './backend';
import { createCacheServer, startCacheServer } from './server';

const READ = 'pr-read-token';
const WRITE = 'main-write-token';
const HASH = '11264390427493128563'; // Nx task hashes are decimal strings

let s3: TestS3 | undefined;
beforeAll(async () => {
  const started = await startTestS3('nx-mlc-cache');
  if (typeof started === 'string') console.warn(`SKIP S3-backed cache server tests: ${started}`);
  else s3 = started;
});
afterAll(async () => s3?.close());

/** An opaque archive: a real fixture file stands in for Nx's tar.gz (the server must not look inside). */
const ARCHIVE = fs.readFileSync(path.join(HF_TINY, 'llama', 'model.safetensors'));

const backends: Array<[string, () => CacheBackend | undefined]> = [
  ['filesystem', () => new FsCacheBackend(tempDir())],
  ['S3', () => (s3 ? new S3CacheBackend(makeS3Client({ endpoint: s3.endpoint, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } }), s3.bucket, `run-${crypto.randomBytes(4).toString('hex')}/`) : undefined)],
];

describe.each(backends)('cache server on the %s backend', (name, make) => {
  test('implements GET/PUT /v1/cache/{hash} with read-only and read-write tokens and immutable entries', async () => {
    const backend = make();
    if (!backend) return console.warn(`skipped: ${name} backend unavailable`);
    const srv = await startCacheServer({ backend, readTokens: [READ], writeTokens: [WRITE] });
    const url = `${srv.url}/v1/cache/${HASH}`;
    const auth = (t: string) => ({ Authorization: `Bearer ${t}` });
    try {
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: auth('wrong') })).status).toBe(401);
      expect((await fetch(url, { headers: auth(READ) })).status).toBe(404);

      const ro = await fetch(url, { method: 'PUT', headers: { ...auth(READ), 'Content-Type': 'application/octet-stream' }, body: ARCHIVE });
      expect(ro.status).toBe(403);
      expect((await fetch(url, { headers: auth(READ) })).status).toBe(404);

      const put = await fetch(url, { method: 'PUT', headers: { ...auth(WRITE), 'Content-Type': 'application/octet-stream' }, body: ARCHIVE });
      expect(put.status).toBe(200);

      const get = await fetch(url, { headers: auth(READ) });
      expect(get.status).toBe(200);
      expect(get.headers.get('content-type')).toBe('application/octet-stream');
      expect(Buffer.from(await get.arrayBuffer()).equals(ARCHIVE)).toBe(true);

      const again = await fetch(url, { method: 'PUT', headers: auth(WRITE), body: Buffer.from('poisoned') });
      expect(again.status).toBe(409);
      const still = Buffer.from(await (await fetch(url, { headers: auth(WRITE) })).arrayBuffer());
      expect(still.equals(ARCHIVE)).toBe(true);
    } finally {
      await srv.close();
    }
  });
});

describe('cache server input checks', () => {
  test('refuses path-like hashes, missing Content-Length and short bodies, and stores nothing', async () => {
    const dir = tempDir();
    const srv = await startCacheServer({ backend: new FsCacheBackend(dir), writeTokens: [WRITE] });
    try {
      const traversal = await fetch(`${srv.url}/v1/cache/..%2F..%2Fetc`, { headers: { Authorization: `Bearer ${WRITE}` } });
      expect(traversal.status).toBe(400);
      expect(await rawPut(srv.url, HASH, { Authorization: `Bearer ${WRITE}`, 'Transfer-Encoding': 'chunked' }, 'abc')).toBe(411);
      expect(await rawPut(srv.url, HASH, { Authorization: `Bearer ${WRITE}`, 'Content-Length': '10' }, 'abc', true)).toBe(400);
      expect(fs.readdirSync(dir).filter((f) => f !== 'tmp')).toEqual([]);
      expect(fs.readdirSync(path.join(dir, 'tmp'))).toEqual([]);
    } finally {
      await srv.close();
    }
  });

  test('will not start without tokens unless anonymous access is asked for', () => {
    expect(() => createCacheServer({ backend: new FsCacheBackend(tempDir()) })).toThrow(/NXMLC_CACHE_READ_TOKENS/);
    expect(() => createCacheServer({ backend: new FsCacheBackend(tempDir()), allowAnonymous: true })).not.toThrow();
  });
});

/** A PUT with exact control over headers (fetch always sets a correct length). `endEarly` closes after the body. */
function rawPut(base: string, hash: string, headers: Record<string, string>, body: string, endEarly = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/v1/cache/${hash}`, { method: 'PUT', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (e) => (endEarly ? undefined : reject(e)));
    req.write(body);
    if (endEarly) {
      // Send fewer bytes than promised, then half-close: the server must see a short body.
      setTimeout(() => req.socket?.end(), 50);
    } else req.end();
  });
}
