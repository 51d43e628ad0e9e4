import * as fs from 'node:fs';
import * as path from 'node:path';
import { ShardRecord, TensorRecord } from './tensor-cache-json';
import { createShardIo, ShardIo } from './shard-io';

/** TVM's shard capacity (spec §4.3). */
export const SHARD_CAP = 32 * 2 ** 20;

export interface TensorSink {
  /** `owned`: the caller gives the chunk's ArrayBuffer away (it may be moved to the I/O thread, not copied) */
  write(chunk: Uint8Array, owned?: boolean): void;
  end(): void;
}

interface OpenShard {
  index: number;
  tmp: string;
  size: number;
  records: TensorRecord[];
}

/**
 * Packs encoded tensors into `params_shard_{k}.bin` exactly as TVM's dump_tensor_cache does (spec §4.3):
 * a pending buffer that is flushed when the next tensor would reach 32 MiB, except that a tensor of
 * 16 MiB or more that does not fit is written alone at once (the pending buffer keeps accumulating).
 * Big tensors stream to their shard chunk by chunk, so memory stays bounded by the shard cap.
 * Shards are written under temp names and only renamed into place by `commit`.
 */
export class ShardWriter {
  private pending = Buffer.allocUnsafe(SHARD_CAP);
  private pendingLen = 0;
  private pendingRecords: TensorRecord[] = [];
  private nextIndex = 0;
  private readonly done: { shard: ShardRecord; tmp: string; index: number }[] = [];
  private readonly temps = new Set<string>();
  private busy = false;

  private readonly io: ShardIo;

  /** `ioThreads` > 0: write shards and compute their md5 on that many worker threads, overlapping the conversion. */
  constructor(private readonly outDir: string, ioThreads = 0) {
    fs.mkdirSync(outDir, { recursive: true });
    this.io = createShardIo(ioThreads);
  }

  /** Start one tensor of `nbytes` encoded bytes; write exactly that many bytes to the sink, then end it. */
  add(record: Omit<TensorRecord, 'byteOffset' | 'format'>): TensorSink {
    if (this.busy) throw new Error('ShardWriter.add: previous tensor not ended');
    this.busy = true;
    const D = record.nbytes;
    let written = 0;
    const check = () => {
      this.busy = false;
      if (written !== D) throw new Error(`ShardWriter: ${record.name} declared ${D} bytes, got ${written}`);
    };
    const full: TensorRecord = { name: record.name, shape: record.shape, dtype: record.dtype, format: 'f32-to-bf16', nbytes: D, byteOffset: 0 };
    if (this.pendingLen + D >= SHARD_CAP) {
      if (2 * D >= SHARD_CAP) {
        const shard = this.openShard();
        shard.records.push(full);
        return {
          write: (c, owned) => {
            const n = c.byteLength; // before the buffer may be moved away (then it reads 0)
            written += n;
            shard.size += n;
            this.io.write(shard.index, c, owned ? 'move' : undefined);
          },
          end: () => {
            check();
            this.closeShard(shard);
          },
        };
      }
      this.flushPending();
    }
    full.byteOffset = this.pendingLen;
    this.pendingRecords.push(full);
    return {
      write: (c) => {
        if (written + c.byteLength > D) throw new Error(`ShardWriter: ${record.name} overflows its ${D} bytes`);
        this.pending.set(c, this.pendingLen + written);
        written += c.byteLength;
      },
      end: () => {
        check();
        this.pendingLen += D;
      },
    };
  }

  /** Flush what is pending and return the shard records in writing order, md5 sums filled in. */
  async finish(): Promise<ShardRecord[]> {
    this.flushPending();
    const md5 = await this.io.finish();
    await this.io.dispose();
    return this.done.map((d) => ({ ...d.shard, md5sum: md5.get(d.index)! }));
  }

  /**
   * Move the shards into place: first remove the old cache JSONs (so no stale index ever describes new
   * shards), then rename every shard and delete leftover higher-numbered shards of an earlier run.
   * The caller writes the new JSON files last.
   */
  commit(staleJsonNames: string[]): void {
    for (const n of staleJsonNames) fs.rmSync(path.join(this.outDir, n), { force: true });
    for (const d of this.done) {
      fs.renameSync(d.tmp, path.join(this.outDir, d.shard.dataPath));
      this.temps.delete(d.tmp);
    }
    for (const f of fs.readdirSync(this.outDir)) {
      const m = /^params_shard_(\d+)\.bin$/.exec(f);
      if (m && Number(m[1]) >= this.done.length) fs.rmSync(path.join(this.outDir, f), { force: true });
    }
  }

  /** Remove every temp file (after an error). */
  /** Stop the I/O (so no file is created behind our back), then remove every temp file. */
  async abort(): Promise<void> {
    await this.io.dispose();
    for (const t of this.temps) fs.rmSync(t, { force: true });
    this.temps.clear();
  }

  private flushPending(): void {
    if (this.pendingLen === 0) return;
    const shard = this.openShard();
    shard.records = this.pendingRecords;
    // the pending buffer itself travels to the I/O thread and comes back for reuse
    this.io.write(shard.index, this.pending.subarray(0, this.pendingLen), 'recycle');
    shard.size += this.pendingLen;
    if (this.io.movesBuffers) {
      const free = this.io.takeFree();
      this.pending = free ? Buffer.from(free) : Buffer.allocUnsafe(SHARD_CAP);
    }
    this.closeShard(shard);
    this.pendingLen = 0;
    this.pendingRecords = [];
  }

  private openShard(): OpenShard {
    const index = this.nextIndex++;
    const tmp = path.join(this.outDir, `.tmp-params_shard_${index}.bin-${process.pid}-${Math.random().toString(36).slice(2)}`);
    this.temps.add(tmp);
    this.io.open(index, tmp);
    return { index, tmp, size: 0, records: [] };
  }

  private closeShard(shard: OpenShard): void {
    this.io.close(shard.index);
    this.done.push({
      index: shard.index,
      tmp: shard.tmp,
      shard: { dataPath: `params_shard_${shard.index}.bin`, format: 'raw-shard', nbytes: shard.size, records: shard.records, md5sum: '' },
    });
  }
}
