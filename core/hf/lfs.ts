import * as fs from 'node:fs';
import { NxMlcError } from '../support/errors';

const LFS_HEADER = 'version https://git-lfs.github.com/spec/v1';

/** True when `file` is a Git LFS pointer (a ~130-byte text stub) rather than the real content. */
export function isLfsPointer(file: string): boolean {
  const st = fs.statSync(file);
  if (st.size > 1024) return false;
  const head = fs.readFileSync(file, 'utf8');
  return head.startsWith(LFS_HEADER);
}

export function assertNotLfsPointer(file: string): void {
  if (isLfsPointer(file)) {
    throw new NxMlcError('This is a Git LFS pointer file, not the weights themselves', {
      file,
      fix: 'Fetch the real files: run `git lfs install && git lfs pull` in the checkpoint repository, or download it with `huggingface-cli download <repo-id>` (or `nx-mlc acquire <repo-id>`).',
    });
  }
}
