import * as fs from 'node:fs';
import * as path from 'node:path';
import { convertWeight } from '../weights/convert';
import { HF_TINY, tempDir } from '../test-support/paths';
import { materialiseDir, publishDir } from './publish';

test('a real convert-weight output is published (shards only) and rebuilt in a fresh checkout from the manifest', async () => {
  const out = tempDir();
  await convertWeight({ source: path.join(HF_TINY, 'llama'), quantization: 'q4f16_1', output: out });
  const shards = fs.readdirSync(out).filter((f) => /^params_shard_\d+\.bin$/.test(f)).sort();
  expect(shards.length).toBeGreaterThan(0);
  const original = Object.fromEntries(shards.map((f) => [f, fs.readFileSync(path.join(out, f))]));

  const storeRoot = tempDir();
  const saved = process.env.NXMLC_S3_BUCKET;
  delete process.env.NXMLC_S3_BUCKET;
  try {
    const m = await publishDir(out, { storeRoot });
    expect(m.files.map((f) => f.path)).toEqual(shards); // tensor-cache.json stays a plain (Nx-cached) file

    // A fresh checkout: Nx restored tensor-cache.json and the manifest, not the shards.
    const fresh = tempDir();
    for (const f of ['tensor-cache.json', 'nx-mlc-store.json']) fs.copyFileSync(path.join(out, f), path.join(fresh, f));
    const r = await materialiseDir(fresh, { storeRoot });
    expect(r).toMatchObject({ files: shards.length, fetched: 0 });
    for (const f of shards) expect(fs.readFileSync(path.join(fresh, f)).equals(original[f])).toBe(true);
    expect(await materialiseDir(tempDir(), { storeRoot })).toBeUndefined();
  } finally {
    if (saved !== undefined) process.env.NXMLC_S3_BUCKET = saved;
  }
});

test('NXMLC_STORE_MAX_SIZE keeps the store under the limit after a publish, never evicting what was just published', async () => {
  const storeRoot = tempDir();
  const saved = { bucket: process.env.NXMLC_S3_BUCKET, max: process.env.NXMLC_STORE_MAX_SIZE };
  delete process.env.NXMLC_S3_BUCKET;
  try {
    const a = tempDir();
    fs.writeFileSync(path.join(a, 'params_shard_0.bin'), Buffer.alloc(4000, 1));
    await publishDir(a, { storeRoot });
    const b = tempDir();
    fs.writeFileSync(path.join(b, 'params_shard_0.bin'), Buffer.alloc(3000, 2));
    process.env.NXMLC_STORE_MAX_SIZE = '5000';
    const mb = await publishDir(b, { storeRoot });
    const left = fs.readdirSync(path.join(storeRoot, 'blobs', 'sha256')).flatMap((d) => fs.readdirSync(path.join(storeRoot, 'blobs', 'sha256', d)));
    expect(left).toEqual([mb.files[0].sha256]); // the older 4000-byte blob went; 3000 <= 5000
  } finally {
    if (saved.bucket !== undefined) process.env.NXMLC_S3_BUCKET = saved.bucket;
    if (saved.max === undefined) delete process.env.NXMLC_STORE_MAX_SIZE;
    else process.env.NXMLC_STORE_MAX_SIZE = saved.max;
  }
});
