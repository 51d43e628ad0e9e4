import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { makeS3Client, type S3StoreConfig } from '../s3-store';

export interface TestS3 {
  endpoint: string;
  bucket: string;
  config(stateDir: string, extra?: Partial<S3StoreConfig>): S3StoreConfig;
  close(): Promise<void>;
}

/** s3rver's fixed development credentials. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * Start a real S3-compatible server (s3rver, a devDependency) on a loopback port with an empty bucket.
 * Returns a reason string instead when the server is not installed, so the caller can skip loudly.
 */
export async function startTestS3(bucket = 'nx-mlc-test'): Promise<TestS3 | string> {
  let S3rver: new (o: object) => { run(): Promise<{ port: number }>; close(): Promise<void> };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    S3rver = require('s3rver');
  } catch {
    return 's3rver is not installed (npm ci installs it as a devDependency)';
  }
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = makeS3Client({ endpoint, credentials: CREDENTIALS });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  return {
    endpoint,
    bucket,
    config: (stateDir, extra = {}) => ({ bucket, endpoint, credentials: CREDENTIALS, region: 'us-east-1', stateDir, ...extra }),
    close: async () => {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
