import * as crypto from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Worker thread entry: incremental md5 of shards, so hashing overlaps reading, quantizing and writing.
 * `workerData.backlog` (shared Int32) counts bytes posted but not hashed yet; the writer waits on it.
 */
const backlog = new Int32Array(workerData.backlog as SharedArrayBuffer);
const hashes = new Map<number, crypto.Hash>();
parentPort?.on('message', (m: { shard: number; chunk?: Uint8Array; done?: boolean }) => {
  let h = hashes.get(m.shard);
  if (!h) hashes.set(m.shard, (h = crypto.createHash('md5')));
  if (m.chunk) {
    h.update(m.chunk);
    Atomics.sub(backlog, 0, m.chunk.byteLength);
    Atomics.notify(backlog, 0);
  }
  if (m.done) {
    hashes.delete(m.shard);
    parentPort!.postMessage({ shard: m.shard, md5: h.digest('hex') });
  }
});
