import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ShardWriter } from './shard-writer';

const MiB = 2 ** 20;

/** Writes `nbytes` of `fill`; with `owned`, every piece is a fresh buffer handed over (the I/O thread may move it). */
function tensor(writer: ShardWriter, name: string, nbytes: number, fill: number, pieces = 3, owned = false): void {
  const sink = writer.add({ name, shape: [nbytes / 2], dtype: 'float16', nbytes });
  const data = Buffer.alloc(nbytes, fill);
  const step = Math.ceil(nbytes / pieces);
  for (let o = 0; o < nbytes; o += step) {
    const piece = data.subarray(o, Math.min(nbytes, o + step));
    sink.write(owned ? new Uint8Array(piece) : piece, owned);
  }
  sink.end();
}

describe('ShardWriter follows TVM dump_tensor_cache sharding (spec §4.3)', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shards-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each([0, 2])('big tensors jump the queue; pending flushes at >= 32 MiB; offsets concatenate (I/O threads: %s)', async (ioThreads) => {
    const w = new ShardWriter(dir, ioThreads);
    tensor(w, 'a', 10 * MiB, 1); // pending 10
    tensor(w, 'b', 10 * MiB, 2); // pending 20
    tensor(w, 'c', 20 * MiB, 3, 3, true); // 20+20 >= 32 and 2·20 >= 32: alone, shard 0, pending untouched
    tensor(w, 'd', 2 * MiB, 4); // pending 22
    tensor(w, 'e', 10 * MiB, 5); // 22+10 = 32 >= 32 (>=, not >), 2·10 < 32: flush a,b,d as shard 1
    tensor(w, 'f', 17 * MiB, 6); // 10+17 < 32: appended even though >= 16 MiB
    const shards = await w.finish(); // e,f flushed as shard 2
    expect(shards.map((s) => [s.dataPath, s.records.map((r) => [r.name, r.byteOffset])])).toEqual([
      ['params_shard_0.bin', [['c', 0]]],
      ['params_shard_1.bin', [['a', 0], ['b', 10 * MiB], ['d', 20 * MiB]]],
      ['params_shard_2.bin', [['e', 0], ['f', 10 * MiB]]],
    ]);
    // nothing is visible under the final names before commit
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('params_shard'))).toEqual([]);
    fs.writeFileSync(path.join(dir, 'params_shard_7.bin'), 'stale');
    fs.writeFileSync(path.join(dir, 'tensor-cache.json'), '{}');
    w.commit(['tensor-cache.json']);
    expect(fs.readdirSync(dir).sort()).toEqual(['params_shard_0.bin', 'params_shard_1.bin', 'params_shard_2.bin']);
    const s1 = fs.readFileSync(path.join(dir, 'params_shard_1.bin'));
    expect(s1.length).toBe(22 * MiB);
    expect(shards[1].nbytes).toBe(22 * MiB);
    expect(s1[10 * MiB - 1]).toBe(1);
    expect(s1[10 * MiB]).toBe(2);
    expect(s1[20 * MiB]).toBe(4);
    expect(shards[1].md5sum).toBe(crypto.createHash('md5').update(s1).digest('hex'));
    const s0 = fs.readFileSync(path.join(dir, 'params_shard_0.bin'));
    expect([s0.length, shards[0].nbytes, s0[0], s0[20 * MiB - 1]]).toEqual([20 * MiB, 20 * MiB, 3, 3]);
    expect(shards[0].md5sum).toBe(crypto.createHash('md5').update(s0).digest('hex'));
  });

  test('a byte count that disagrees with the declaration is an error; abort leaves no files', async () => {
    const w = new ShardWriter(dir);
    const sink = w.add({ name: 'x', shape: [4], dtype: 'float16', nbytes: 8 });
    sink.write(new Uint8Array(4));
    expect(() => sink.end()).toThrow(/declared 8 bytes, got 4/);
    const w2 = new ShardWriter(dir, 1);
    tensor(w2, 'big', 33 * MiB, 1); // written at once to its own (temp) shard
    w2.add({ name: 'y', shape: [1], dtype: 'float16', nbytes: 2 });
    await w2.abort();
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
