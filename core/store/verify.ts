import * as fs from 'node:fs';
import * as path from 'node:path';
import { sha256File } from './hash';
import type { LocalStore } from './local-store';

export interface VerifyResult {
  checked: number;
  bytes: number;
  /** Blobs whose content no longer matches their name. */
  corrupt: string[];
}

/**
 * Re-hash every blob. A corrupt blob (disk fault, or someone wrote through a hard link) is moved to
 * <root>/corrupt/ with `repair`, so the next materialise fetches a good copy instead of spreading it.
 */
export async function verifyStore(store: LocalStore, o: { repair?: boolean; onBlob?: (sha: string, ok: boolean) => void } = {}): Promise<VerifyResult> {
  const res: VerifyResult = { checked: 0, bytes: 0, corrupt: [] };
  for (const b of store.list().sort((x, y) => x.sha256.localeCompare(y.sha256))) {
    const actual = await sha256File(store.pathOf(b.sha256));
    const ok = actual === b.sha256;
    res.checked++;
    res.bytes += b.size;
    o.onBlob?.(b.sha256, ok);
    if (ok) continue;
    res.corrupt.push(b.sha256);
    if (o.repair) {
      const dir = path.join(store.root, 'corrupt');
      fs.mkdirSync(dir, { recursive: true });
      fs.renameSync(store.pathOf(b.sha256), path.join(dir, b.sha256));
    }
  }
  return res;
}
