import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const HF_TINY = path.join(REPO_ROOT, 'fixtures', 'hf-tiny');
export const HF_TINY_ARCHS = ['llama', 'llama-tied', 'mistral', 'qwen2', 'qwen3', 'gemma2', 'phi3'] as const;
export const DEMO_MODEL = path.join(REPO_ROOT, 'examples', 'pycode-6m');

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'nx-mlc-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Copy the files (not subdirectories) of a checkpoint directory to a temp dir so a test can damage it. */
export function copyToTemp(src: string): string {
  const dir = tempDir();
  for (const f of fs.readdirSync(src)) {
    if (fs.statSync(path.join(src, f)).isFile()) fs.copyFileSync(path.join(src, f), path.join(dir, f));
  }
  return dir;
}
