import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PlannedParam } from './plan';
import { ShardWriter } from './shard-writer';

/**
 * Incremental conversion (beyond MLC): the encoded outputs of each MLC parameter, stored under a key made of
 * the content hash of its source tensors, the quantization and how the parameter is built. Converting a
 * fine-tune that changed a few layers recomputes only those; everything else is copied from here.
 * Entries are directories written under a temp name and renamed, so a half-written entry is never used.
 */

/** Bump when the encoded bytes for the same inputs change (kernel fixes), to invalidate old entries. */
const FORMAT_VERSION = 1;
const READ_CHUNK = 8 * 2 ** 20;

export interface CacheEntryWriter {
  write(output: number, chunk: Uint8Array): void;
  commit(): void;
  abort(): void;
}

export class TensorOutputCache {
  constructor(private readonly dir: string, private readonly quantization: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  /** Hash of everything that determines the parameter's output bytes, sources' content included. */
  keyFor(p: PlannedParam, torch: boolean): string {
    const h = crypto.createHash('sha256');
    h.update(
      JSON.stringify({
        v: FORMAT_VERSION,
        q: this.quantization,
        name: p.spec.name,
        kind: p.spec.kind,
        plusOne: p.spec.plusOne ?? false,
        torch,
        outputs: p.outputs.map((o) => [o.name, o.shape, o.dtype]),
        sources: p.refs.map((r) => [r.name, r.dtype, r.shape]),
      }),
    );
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    for (const r of p.refs) {
      if (r.strides) {
        // rare non-contiguous torch view: hash its position instead of gathering it twice
        h.update(JSON.stringify([r.file, r.offset, r.strides, fs.statSync(r.file).mtimeMs]));
        continue;
      }
      const fd = fs.openSync(r.file, 'r');
      try {
        for (let done = 0; done < r.byteLength; ) {
          const n = fs.readSync(fd, buf, 0, Math.min(READ_CHUNK, r.byteLength - done), r.offset + done);
          if (n === 0) break;
          h.update(buf.subarray(0, n));
          done += n;
        }
      } finally {
        fs.closeSync(fd);
      }
    }
    return h.digest('hex');
  }

  private entry(key: string): string {
    return path.join(this.dir, key.slice(0, 2), key);
  }

  has(key: string, p: PlannedParam): boolean {
    const e = this.entry(key);
    return p.outputs.every((o, i) => {
      try {
        return fs.statSync(path.join(e, `${i}.bin`)).size === o.nbytes;
      } catch {
        return false;
      }
    });
  }

  /** Copy a cached parameter's outputs into the shards, in output order. */
  writeTo(key: string, p: PlannedParam, writer: ShardWriter): void {
    const e = this.entry(key);
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    p.outputs.forEach((o, i) => {
      const sink = writer.add(o);
      const fd = fs.openSync(path.join(e, `${i}.bin`), 'r');
      try {
        for (let done = 0; done < o.nbytes; ) {
          const n = fs.readSync(fd, buf, 0, Math.min(READ_CHUNK, o.nbytes - done), done);
          if (n === 0) throw new Error(`tensor cache entry ${e} is truncated`);
          sink.write(buf.subarray(0, n));
          done += n;
        }
      } finally {
        fs.closeSync(fd);
      }
      sink.end();
    });
  }

  begin(key: string, outputs: number): CacheEntryWriter {
    const final = this.entry(key);
    const tmp = `${final}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    fs.mkdirSync(tmp, { recursive: true });
    const fds = Array.from({ length: outputs }, (_, i) => fs.openSync(path.join(tmp, `${i}.bin`), 'w'));
    const closeAll = () => fds.forEach((fd) => fs.closeSync(fd));
    return {
      write(i, chunk) {
        let off = 0;
        while (off < chunk.byteLength) off += fs.writeSync(fds[i], chunk, off, chunk.byteLength - off);
      },
      commit() {
        closeAll();
        fs.rmSync(final, { recursive: true, force: true });
        fs.renameSync(tmp, final);
      },
      abort() {
        closeAll();
        fs.rmSync(tmp, { recursive: true, force: true });
      },
    };
  }
}
