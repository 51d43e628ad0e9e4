/**
 * The manifest a directory keeps when its large files live in the content-addressed weight store
 * (core/store). Shared by the store, the plugin (which caches only this file) and the executors.
 */
export const STORE_MANIFEST_FILE = 'nx-mlc-store.json';
