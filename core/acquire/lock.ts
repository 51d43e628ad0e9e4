import * as fs from 'node:fs';
import { writeFileAtomic } from '../support/atomic';
import { NxMlcError } from '../support/errors';

/**
 * The acquire lock file: which commit of which repository, and every file's size and sha256. It is
 * small and deterministic (sorted, no timestamps), so it can be committed and used as the Nx input
 * of downstream stages in place of the weights themselves.
 */
export interface AcquireLock {
  kind: 'nx-mlc-acquire-lock';
  version: 1;
  repo: string;
  /** The commit sha the revision resolved to. */
  revision: string;
  files: AcquireLockEntry[];
}

export interface AcquireLockEntry {
  path: string;
  size: number;
  sha256: string;
  /** Stored in Git LFS on the Hub (its LFS oid is this sha256). */
  lfs: boolean;
}

export const LOCK_FILE = 'nx-mlc.lock.json';

export function writeAcquireLock(file: string, lock: AcquireLock): void {
  writeFileAtomic(file, JSON.stringify(lock, null, 2) + '\n');
}

export function readAcquireLock(file: string): AcquireLock {
  let data: AcquireLock;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new NxMlcError(`Cannot read the acquire lock file: ${(e as Error).message}`, { file, fix: 'Run `nx-mlc acquire` again to rewrite it.' });
  }
  if (data?.kind !== 'nx-mlc-acquire-lock' || data.version !== 1 || !Array.isArray(data.files)) {
    throw new NxMlcError('Not an nx-mlc acquire lock file (version 1)', { file, field: 'kind', fix: 'Run `nx-mlc acquire` again to rewrite it.' });
  }
  return data;
}
