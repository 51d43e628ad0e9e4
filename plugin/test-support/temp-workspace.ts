import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A throwaway workspace directory with files written from a map (Nx's own TempFs is not shipped). */
export class TempWorkspace {
  readonly root: string;

  constructor(prefix = 'nx-mlc-ws-') {
    this.root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  }

  write(file: string, content: string | Buffer): string {
    const abs = path.join(this.root, file);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content);
    return abs;
  }

  read(file: string): string {
    return fs.readFileSync(path.join(this.root, file), 'utf8');
  }

  /** Copy a checkpoint directory's small files and link its weights (tests never modify the originals). */
  copyDir(from: string, to: string): void {
    fs.cpSync(from, path.join(this.root, to), { recursive: true });
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const DEMO_MODEL = path.join(REPO_ROOT, 'examples', 'pycode-6m');
