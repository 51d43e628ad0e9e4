import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTensorCacheJson, storedNbytes } from './tensor-cache-read';

/**
 * verify-weights: re-read a converted directory and check that tensor-cache.json describes the shards exactly:
 * every shard present with the recorded size and md5, records tiling each shard from offset 0 without gaps
 * or overlaps, record sizes matching shape × dtype, unique names, metadata.ParamSize, and the legacy
 * ndarray-cache.json (if present) identical to tensor-cache.json.
 */

export interface VerifyReport {
  ok: boolean;
  dir: string;
  shards: number;
  tensors: number;
  bytes: number;
  problems: string[];
}

export function verifyWeights(dir: string): VerifyReport {
  const { file, cache } = readTensorCacheJson(dir);
  const problems: string[] = [];
  const names = new Set<string>();
  let tensors = 0;
  let bytes = 0;
  for (const shard of cache.records) {
    const where = `shard ${shard.dataPath}`;
    if (shard.format !== 'raw-shard') problems.push(`${where}: format is ${JSON.stringify(shard.format)}, expected "raw-shard"`);
    const shardFile = path.join(dir, shard.dataPath ?? '');
    let size: number | undefined;
    try {
      size = fs.statSync(shardFile).size;
    } catch {
      problems.push(`${where}: file is missing`);
    }
    if (size !== undefined && size !== shard.nbytes) problems.push(`${where}: file has ${size} bytes, the index says ${shard.nbytes}`);
    if (size !== undefined) {
      const md5 = md5OfFile(shardFile);
      if (md5 !== shard.md5sum) problems.push(`${where}: md5 ${md5} differs from the recorded ${shard.md5sum}`);
    }
    let offset = 0;
    for (const r of shard.records ?? []) {
      tensors++;
      if (names.has(r.name)) problems.push(`tensor ${r.name}: recorded twice`);
      names.add(r.name);
      const want = storedNbytes(r.shape, r.dtype, r.format);
      if (r.nbytes !== want) problems.push(`tensor ${r.name}: nbytes ${r.nbytes}, but ${r.dtype}[${r.shape.join(', ')}] stores ${want}`);
      if (r.byteOffset !== offset) problems.push(`tensor ${r.name}: byteOffset ${r.byteOffset}, expected ${offset} (records must tile the shard)`);
      offset = r.byteOffset + r.nbytes;
    }
    if (offset !== shard.nbytes) problems.push(`${where}: records end at byte ${offset}, the shard has ${shard.nbytes}`);
    bytes += shard.nbytes;
  }
  if (cache.metadata?.ParamSize !== tensors) problems.push(`metadata.ParamSize is ${cache.metadata?.ParamSize}, but ${tensors} tensors are recorded`);
  const legacy = path.join(dir, 'ndarray-cache.json');
  if (path.basename(file) === 'tensor-cache.json' && fs.existsSync(legacy) && fs.readFileSync(legacy, 'utf8') !== fs.readFileSync(file, 'utf8')) {
    problems.push('ndarray-cache.json differs from tensor-cache.json');
  }
  return { ok: problems.length === 0, dir, shards: cache.records.length, tensors, bytes, problems };
}

export function formatVerifyReport(r: VerifyReport): string {
  if (r.ok) return `verify-weights: ${r.dir}: OK (${r.tensors} tensors in ${r.shards} shards, ${(r.bytes / 2 ** 20).toFixed(1)} MB, md5 verified)`;
  return [`verify-weights: ${r.dir}: ${r.problems.length} problem(s)`, ...r.problems.map((p) => `  - ${p}`)].join('\n');
}

/** md5 of a file read in 8 MiB pieces (a shard can be as large as the largest tensor). */
function md5OfFile(file: string): string {
  const h = crypto.createHash('md5');
  const buf = Buffer.allocUnsafe(8 * 2 ** 20);
  const fd = fs.openSync(file, 'r');
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}
