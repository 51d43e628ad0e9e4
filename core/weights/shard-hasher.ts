import * as crypto from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { spawnTsOrJsWorker } from './pool';

/** md5 of each shard, fed chunk by chunk in order; either inline or on a worker thread. */
export interface ShardHasher {
  update(shard: number, chunk: Uint8Array): void;
  /** after the last update of a shard */
  end(shard: number): void;
  /** every ended shard's digest */
  digests(): Promise<Map<number, string>>;
  close(): Promise<void>;
}

export function createShardHasher(onWorker: boolean): ShardHasher {
  return onWorker ? new WorkerHasher() : new InlineHasher();
}

class InlineHasher implements ShardHasher {
  private readonly open = new Map<number, crypto.Hash>();
  private readonly done = new Map<number, string>();
  update(shard: number, chunk: Uint8Array): void {
    let h = this.open.get(shard);
    if (!h) this.open.set(shard, (h = crypto.createHash('md5')));
    h.update(chunk);
  }
  end(shard: number): void {
    const h = this.open.get(shard) ?? crypto.createHash('md5');
    this.open.delete(shard);
    this.done.set(shard, h.digest('hex'));
  }
  async digests(): Promise<Map<number, string>> {
    return this.done;
  }
  async close(): Promise<void> {}
}

/** Bytes that may wait for the md5 thread; beyond it the writer blocks, so memory stays bounded. */
const MAX_BACKLOG = 128 * 2 ** 20;

class WorkerHasher implements ShardHasher {
  private readonly backlog = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker = spawnTsOrJsWorker('md5-worker', { backlog: this.backlog.buffer });
  private readonly done = new Map<number, string>();
  private pending = 0;
  private waiter?: () => void;
  private failure?: Error;

  constructor() {
    this.worker.on('message', (m: { shard: number; md5: string }) => {
      this.done.set(m.shard, m.md5);
      if (--this.pending === 0 && this.waiter) this.waiter();
    });
    this.worker.on('error', (e) => {
      this.failure = e;
      this.waiter?.();
    });
  }
  update(shard: number, chunk: Uint8Array): void {
    for (let b = Atomics.load(this.backlog, 0); b > MAX_BACKLOG && !this.failure; b = Atomics.load(this.backlog, 0)) {
      Atomics.wait(this.backlog, 0, b, 100);
    }
    Atomics.add(this.backlog, 0, chunk.byteLength);
    this.worker.postMessage({ shard, chunk }); // structured clone: a copy, so the caller may reuse its buffer
  }
  end(shard: number): void {
    this.pending++;
    this.worker.postMessage({ shard, done: true });
  }
  async digests(): Promise<Map<number, string>> {
    if (this.pending > 0 && !this.failure) await new Promise<void>((r) => (this.waiter = r));
    if (this.failure) throw this.failure;
    return this.done;
  }
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
