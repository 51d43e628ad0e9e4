import { defaultStoreRoot, LocalStore } from './local-store';
import { S3Store, s3ConfigFromEnv } from './s3-store';

export interface StoreSelection {
  local: LocalStore;
  remote?: S3Store;
}

/**
 * The stores a command works with: the local store ($NXMLC_STORE or ~/.cache/nx-mlc/store, or `root`)
 * and, when NXMLC_S3_BUCKET is set, the S3-compatible remote (NXMLC_S3_ENDPOINT, NXMLC_S3_PREFIX,
 * NXMLC_S3_REGION; credentials from the usual AWS variables or profile).
 */
export function openStores(o: { root?: string; remote?: boolean; env?: NodeJS.ProcessEnv } = {}): StoreSelection {
  const env = o.env ?? process.env;
  const local = new LocalStore(o.root ?? defaultStoreRoot(env));
  if (o.remote === false) return { local };
  const cfg = s3ConfigFromEnv(local.tmpDir, env);
  return { local, remote: cfg ? new S3Store(cfg) : undefined };
}
