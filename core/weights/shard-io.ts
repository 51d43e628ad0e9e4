import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { spawnTsOrJsWorker } from './pool';

/**
 * Where shard bytes go: a file per shard plus its md5, fed in order. Inline (synchronous) or on a worker
 * thread that overlaps disk writes and hashing with the conversion.
 */
export interface ShardIo {
  open(shard: number, file: string): void;
  write(shard: number, chunk: Uint8Array): void;
  close(shard: number): void;
  /** md5 of every closed shard, once all writes are on disk */
  finish(): Promise<Map<number, string>>;
  dispose(): Promise<void>;
}

export function createShardIo(onWorker: boolean): ShardIo {
  return onWorker ? new WorkerShardIo() : new InlineShardIo();
}

class InlineShardIo implements ShardIo {
  private readonly files = new Map<number, { fd: number; hash: crypto.Hash }>();
  private readonly md5 = new Map<number, string>();
  open(shard: number, file: string): void {
    this.files.set(shard, { fd: fs.openSync(file, 'w'), hash: crypto.createHash('md5') });
  }
  write(shard: number, chunk: Uint8Array): void {
    const f = this.files.get(shard)!;
    for (let off = 0; off < chunk.byteLength; ) off += fs.writeSync(f.fd, chunk, off, chunk.byteLength - off);
    f.hash.update(chunk);
  }
  close(shard: number): void {
    const f = this.files.get(shard)!;
    this.files.delete(shard);
    fs.fsyncSync(f.fd);
    fs.closeSync(f.fd);
    this.md5.set(shard, f.hash.digest('hex'));
  }
  async finish(): Promise<Map<number, string>> {
    return this.md5;
  }
  async dispose(): Promise<void> {
    for (const f of this.files.values()) fs.closeSync(f.fd);
    this.files.clear();
  }
}

/** Bytes that may wait for the I/O thread; beyond it the producer blocks, so memory stays bounded. */
const MAX_BACKLOG = 128 * 2 ** 20;

class WorkerShardIo implements ShardIo {
  private readonly backlog = new Int32Array(new SharedArrayBuffer(4));
  private readonly worker: Worker = spawnTsOrJsWorker('shard-io-worker', { backlog: this.backlog.buffer });
  private readonly md5 = new Map<number, string>();
  private closing = 0;
  private waiter?: () => void;
  private failure?: Error;

  constructor() {
    this.worker.on('message', (m: { shard?: number; md5?: string; error?: string }) => {
      if (m.error) this.failure = new Error(`writing shards failed: ${m.error}`);
      else {
        this.md5.set(m.shard!, m.md5!);
        this.closing--;
      }
      if ((this.closing === 0 || this.failure) && this.waiter) this.waiter();
    });
    this.worker.on('error', (e) => {
      this.failure = e;
      this.waiter?.();
    });
  }
  open(shard: number, file: string): void {
    this.worker.postMessage({ op: 'open', shard, file });
  }
  write(shard: number, chunk: Uint8Array): void {
    // Atomics.wait blocks this thread (never the I/O thread) until the backlog drains below the bound
    for (let b = Atomics.load(this.backlog, 0); b > MAX_BACKLOG; b = Atomics.load(this.backlog, 0)) Atomics.wait(this.backlog, 0, b, 100);
    Atomics.add(this.backlog, 0, chunk.byteLength);
    this.worker.postMessage({ op: 'write', shard, chunk }); // structured clone copies: the caller may reuse its buffer
  }
  close(shard: number): void {
    this.closing++;
    this.worker.postMessage({ op: 'close', shard });
  }
  async finish(): Promise<Map<number, string>> {
    if (this.closing > 0 && !this.failure) await new Promise<void>((r) => (this.waiter = r));
    if (this.failure) throw this.failure;
    return this.md5;
  }
  async dispose(): Promise<void> {
    await this.worker.terminate();
  }
}
