import * as crypto from 'node:crypto';
import { parentPort } from 'node:worker_threads';

/** Worker thread entry: incremental md5 of shards, so hashing overlaps reading, quantizing and writing. */
const hashes = new Map<number, crypto.Hash>();
parentPort?.on('message', (m: { shard: number; chunk?: Uint8Array; done?: boolean }) => {
  let h = hashes.get(m.shard);
  if (!h) hashes.set(m.shard, (h = crypto.createHash('md5')));
  if (m.chunk) h.update(m.chunk);
  if (m.done) {
    hashes.delete(m.shard);
    parentPort!.postMessage({ shard: m.shard, md5: h.digest('hex') });
  }
});
