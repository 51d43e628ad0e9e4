import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Worker thread entry: writes shard files and their md5, so disk writes and hashing overlap reading and
 * quantizing on the main thread (one or more of these, each owning whole shards). `workerData.backlog` (shared Int32) counts bytes posted but not yet
 * written; the main thread waits on it, which bounds memory.
 */
type Msg =
  | { op: 'open'; shard: number; file: string }
  | { op: 'write'; shard: number; chunk: Uint8Array; recycle?: boolean }
  | { op: 'close'; shard: number }
  | { op: 'stop' };

const backlog = new Int32Array(workerData.backlog as SharedArrayBuffer);
const open = new Map<number, { fd: number; hash: crypto.Hash }>();
let failed = false;

parentPort?.on('message', (m: Msg) => {
  if (m.op === 'stop') {
    for (const s of open.values()) fs.closeSync(s.fd);
    return parentPort!.close(); // exit once idle
  }
  try {
    if (failed) return;
    if (m.op === 'open') open.set(m.shard, { fd: fs.openSync(m.file, 'w'), hash: crypto.createHash('md5') });
    else if (m.op === 'write') {
      const s = open.get(m.shard)!;
      for (let off = 0; off < m.chunk.byteLength; ) off += fs.writeSync(s.fd, m.chunk, off, m.chunk.byteLength - off);
      s.hash.update(m.chunk);
    } else {
      const s = open.get(m.shard)!;
      open.delete(m.shard);
      fs.closeSync(s.fd); // fsync comes later, for all shards at once, while writeback has had time to run
      parentPort!.postMessage({ shard: m.shard, md5: s.hash.digest('hex') });
    }
  } catch (e) {
    failed = true;
    parentPort!.postMessage({ error: (e as Error).message });
  } finally {
    if (m.op === 'write') {
      Atomics.sub(backlog, 0, m.chunk.byteLength);
      Atomics.notify(backlog, 0);
      // a transferred shard buffer goes back to the writer for reuse (fresh pages cost more than the copy)
      if (m.recycle) parentPort!.postMessage({ free: m.chunk.buffer }, [m.chunk.buffer as ArrayBuffer]);
    }
  }
});
