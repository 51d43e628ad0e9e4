/** The content-addressed weight store: local directory, S3-compatible remote, manifests. */
export { LocalStore, defaultStoreRoot, type BlobInfo, type MaterialiseMethod, type MaterialiseMode, type PutResult } from './local-store';
export { S3Store, s3ConfigFromEnv, makeS3Client, type S3StoreConfig } from './s3-store';
export type { RemoteStore, TransferOptions } from './remote';
export { ingestDir, materialiseManifest, pushManifest, ensureLocal, readStoreManifest, MANIFEST_FILE, type StoreManifest, type StoreManifestEntry, type MaterialiseResult } from './manifest';
export { gcStore, parseSize, type GcOptions, type GcResult } from './gc';
export { verifyStore, type VerifyResult } from './verify';
export { openStores, type StoreSelection } from './config';
export { sha256File, isSha256 } from './hash';
export { publishDir, materialiseDir, SHARD_RE } from './publish';
