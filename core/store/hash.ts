import * as crypto from 'node:crypto';
import * as fs from 'node:fs';

/** A sha256 digest as 64 lowercase hex characters: the store's only notion of identity. */
export const SHA256_RE = /^[0-9a-f]{64}$/;

export function isSha256(s: string): boolean {
  return SHA256_RE.test(s);
}

/** Hash a file with a bounded read buffer (never the whole file in memory). */
export async function sha256File(file: string, start = 0, end?: number): Promise<string> {
  const h = crypto.createHash('sha256');
  // 4 MiB reads: large enough to run at disk speed, small enough to keep RSS flat.
  const stream = fs.createReadStream(file, { start, end: end === undefined ? undefined : end - 1, highWaterMark: 4 << 20 });
  for await (const chunk of stream) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Git's blob id (sha1 of "blob <size>\0" + content): what the Hub reports as `oid` for files not in LFS. */
export function gitBlobSha1(content: Uint8Array): string {
  const h = crypto.createHash('sha1');
  h.update(`blob ${content.byteLength}\0`);
  h.update(content);
  return h.digest('hex');
}
