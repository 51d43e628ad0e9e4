/** A standalone s3rver for the bench (its own process, so its memory and CPU are not the client's). */
import { startTestS3 } from '../../core/store/test-support/s3-server';

startTestS3('bench').then((s) => {
  if (typeof s === 'string') {
    console.error(s);
    process.exit(2);
  }
  process.stdout.write(JSON.stringify({ endpoint: s.endpoint, bucket: s.bucket }) + '\n');
  process.on('SIGTERM', () => void s.close().then(() => process.exit(0)));
});
