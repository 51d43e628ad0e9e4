/** `nx-mlc cache-server` on the bench's S3 server, in its own process: prints its URL. */
import { S3CacheBackend } from '../../core/cache-server/backend';
import { startCacheServer } from '../../core/cache-server/server';
import { makeS3Client } from '../../core/store/s3-store';

const [endpoint, bucket] = process.argv.slice(2);
const backend = new S3CacheBackend(makeS3Client({ endpoint, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } }), bucket, 'nx/');
startCacheServer({ backend, writeTokens: ['bench-write'], readTokens: ['bench-read'] }).then((s) => {
  process.stdout.write(JSON.stringify({ url: s.url }) + '\n');
  process.on('SIGTERM', () => void s.close().then(() => process.exit(0)));
});
