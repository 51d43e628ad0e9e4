/**
 * One measured operation, in its own process so that `maxRSS` is that operation's peak alone.
 * Prints one JSON line: { op, seconds, bytes, mbPerSec, maxRssMiB, ...extra }.
 *   node -r @swc-node/register bench/store/op.ts <op> [args...]
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { LocalStore } from '../../core/store/local-store';
import { ensureLocal } from '../../core/store/manifest';
import { S3Store } from '../../core/store/s3-store';
import { sha256File } from '../../core/store/hash';

async function main(): Promise<void> {
  const [op, ...a] = process.argv.slice(2);
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  const extra: Record<string, unknown> = {};
  const s3 = () =>
    new S3Store({
      bucket: process.env.BENCH_S3_BUCKET!,
      endpoint: process.env.BENCH_S3_ENDPOINT!,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      partSize: Number(process.env.BENCH_PART_MIB ?? 64) << 20,
      concurrency: Number(process.env.BENCH_CONCURRENCY ?? 4),
      stateDir: a[1] ?? '/tmp',
    });
  switch (op) {
    case 'noop': // the floor: Node + the TypeScript loader, doing nothing
      break;
    case 's3-put-single': {
      // reference for the server's own speed: one streamed PutObject, no multipart, no parallelism
      const store = s3();
      await store.client.send(new PutObjectCommand({ Bucket: store.bucket, Key: `single/${a[2]}`, Body: fs.createReadStream(a[0], { highWaterMark: 1 << 20 }), ContentLength: fs.statSync(a[0]).size }));
      bytes = fs.statSync(a[0]).size;
      break;
    }
    case 'gen': {
      // a[0]=file a[1]=MiB: incompressible bytes, written 8 MiB at a time
      const fd = fs.openSync(a[0], 'w');
      for (let i = 0; i < Number(a[1]) / 8; i++) fs.writeSync(fd, crypto.randomBytes(8 << 20));
      fs.closeSync(fd);
      bytes = fs.statSync(a[0]).size;
      break;
    }
    case 'sha256':
      extra.sha256 = await sha256File(a[0]);
      bytes = fs.statSync(a[0]).size;
      break;
    case 'cp': // baseline: coreutils cp (copy_file_range on this kernel)
      execFileSync('cp', [a[0], a[1]]);
      bytes = fs.statSync(a[1]).size;
      break;
    case 'stream-copy': // baseline: Node stream copy with no hashing
      await new Promise<void>((res, rej) => fs.createReadStream(a[0], { highWaterMark: 4 << 20 }).pipe(fs.createWriteStream(a[1])).on('finish', res).on('error', rej));
      bytes = fs.statSync(a[1]).size;
      break;
    case 'put-copy':
    case 'put-link': {
      const r = await new LocalStore(a[1]).putFile(a[0], { link: op === 'put-link' });
      bytes = r.size;
      extra.sha256 = r.sha256;
      break;
    }
    case 'materialise': {
      // a[0]=store a[1]=sha a[2]=dest a[3]=mode
      const store = new LocalStore(a[0]);
      try {
        extra.method = store.materialise(a[1], a[2], a[3] as 'hardlink' | 'copy' | 'reflink');
        bytes = fs.statSync(a[2]).size;
      } catch (e) {
        extra.error = (e as NodeJS.ErrnoException).code ?? String(e);
      }
      break;
    }
    case 's3-up': {
      // a[0]=file a[1]=state dir a[2]=sha
      await s3().upload(a[0], a[2]);
      bytes = fs.statSync(a[0]).size;
      break;
    }
    case 's3-down': {
      // a[0]=fresh store root a[1]=state dir a[2]=sha — download + sha256 verify + commit
      const store = new LocalStore(a[0]);
      const t = process.hrtime.bigint();
      await ensureLocal(store, a[2], s3());
      bytes = store.sizeOf(a[2])!;
      extra.verifiedInStore = store.has(a[2]);
      extra.seconds_total = Number(process.hrtime.bigint() - t) / 1e9;
      break;
    }
    default:
      throw new Error(`unknown op ${op}`);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ op, seconds: +seconds.toFixed(3), bytes, mbPerSec: +(bytes / 1e6 / seconds).toFixed(1), maxRssMiB: +maxRssMiB.toFixed(1), ...extra }) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
