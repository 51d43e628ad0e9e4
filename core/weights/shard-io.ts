import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { spawnTsOrJsWorker, stopWorker } from './pool';

/**
 * Where shard bytes go: a file per shard plus its md5, fed in order. Inline (synchronous) or on a worker
 * thread that overlaps disk writes and hashing with the conversion.
 */
export interface ShardIo {
  open(shard: number, file: string): void;
  /**
   * `give`: the caller hands the chunk's whole ArrayBuffer over (it must not touch it again); a worker
   * implementation then moves it instead of copying, and returns it through `takeFree` when `recycle`.
   */
  write(shard: number, chunk: Uint8Array, give?: 'move' | 'recycle'): void;
  /** a buffer given with 'recycle' that is free again, if any */
  takeFree(): ArrayBuffer | undefined;
  /** whether `write(…, give)` takes the buffer away (false: written synchronously, the caller keeps it) */
  readonly movesBuffers: boolean;
  close(shard: number): void;
  /** md5 of every closed shard, once all writes are on disk */
  finish(): Promise<Map<number, string>>;
  dispose(): Promise<void>;
}

/** `workers` = 0: inline; otherwise that many I/O threads, shard k going to thread k mod n. */
export function createShardIo(workers: number): ShardIo {
  return workers > 0 ? new WorkerShardIo(workers) : new InlineShardIo();
}

class InlineShardIo implements ShardIo {
  readonly movesBuffers = false;
  private readonly files = new Map<number, { fd: number; hash: crypto.Hash }>();
  private readonly md5 = new Map<number, string>();
  open(shard: number, file: string): void {
    this.files.set(shard, { fd: fs.openSync(file, 'w'), hash: crypto.createHash('md5') });
  }
  takeFree(): ArrayBuffer | undefined {
    return undefined;
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
  readonly movesBuffers = true;
  private readonly backlog = new Int32Array(new SharedArrayBuffer(4));
  private readonly workers: Worker[];
  private readonly md5 = new Map<number, string>();
  private readonly files: string[] = [];
  private readonly free: ArrayBuffer[] = [];
  private closing = 0;
  private waiter?: () => void;
  private failure?: Error;

  constructor(n: number) {
    this.workers = Array.from({ length: n }, () => spawnTsOrJsWorker('shard-io-worker', { backlog: this.backlog.buffer }));
    for (const w of this.workers) {
      w.on('message', (m: { shard?: number; md5?: string; error?: string; free?: ArrayBuffer }) => {
        if (m.free) return void this.free.push(m.free);
        if (m.error) this.failure = new Error(`writing shards failed: ${m.error}`);
        else {
          this.md5.set(m.shard!, m.md5!);
          this.closing--;
        }
        if ((this.closing === 0 || this.failure) && this.waiter) this.waiter();
      });
      w.on('error', (e) => {
        this.failure = e;
        this.waiter?.();
      });
    }
  }
  private worker(shard: number): Worker {
    return this.workers[shard % this.workers.length];
  }
  open(shard: number, file: string): void {
    this.files.push(file);
    this.worker(shard).postMessage({ op: 'open', shard, file });
  }
  takeFree(): ArrayBuffer | undefined {
    return this.free.pop();
  }
  write(shard: number, chunk: Uint8Array, give?: 'move' | 'recycle'): void {
    // Atomics.wait blocks this thread (never the I/O thread) until the backlog drains below the bound
    for (let b = Atomics.load(this.backlog, 0); b > MAX_BACKLOG; b = Atomics.load(this.backlog, 0)) Atomics.wait(this.backlog, 0, b, 100);
    Atomics.add(this.backlog, 0, chunk.byteLength);
    if (give) this.worker(shard).postMessage({ op: 'write', shard, chunk, recycle: give === 'recycle' }, [chunk.buffer as ArrayBuffer]);
    else this.worker(shard).postMessage({ op: 'write', shard, chunk }); // structured clone copies: the caller may reuse its buffer
  }
  close(shard: number): void {
    this.closing++;
    this.worker(shard).postMessage({ op: 'close', shard });
  }
  async finish(): Promise<Map<number, string>> {
    if (this.closing > 0 && !this.failure) await new Promise<void>((r) => (this.waiter = r));
    if (this.failure) throw this.failure;
    // make every shard durable before the caller renames it into place; concurrent fsyncs on the thread pool
    await Promise.all(
      this.files.map(async (f) => {
        const fh = await fs.promises.open(f, 'r+');
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
      }),
    );
    return this.md5;
  }
  async dispose(): Promise<void> {
    // queued writes finish first, so no temp file appears after the caller removed it
    await Promise.all(this.workers.map(stopWorker));
  }
}
