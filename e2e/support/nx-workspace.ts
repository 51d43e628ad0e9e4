import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nxBinary } from '../../executors/shared/dispatch';

/**
 * A fresh Nx workspace in a temp dir with nx-mlc installed from `npm pack` of this repository. Every other
 * package is linked from this repository's node_modules (same pinned versions, no network, seconds instead of
 * an npm install); nx-mlc itself is the packed tarball, unpacked as npm would, so the e2e sees exactly the
 * files the package ships.
 */

export const REPO = path.resolve(__dirname, '..', '..');

/** Whether dist/ is older than a source file (npm test builds first; a plain `npx jest e2e` may not have). */
function needsBuild(): boolean {
  const marker = path.join(REPO, 'dist', 'plugin', 'index.js');
  if (!fs.existsSync(marker)) return true;
  const built = fs.statSync(marker).mtimeMs;
  const newer = (dir: string): boolean =>
    fs.readdirSync(dir, { withFileTypes: true }).some((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return e.name !== 'node_modules' && e.name !== 'fixtures' && newer(p);
      return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && fs.statSync(p).mtimeMs > built;
    });
  return ['core', 'schema', 'cli', 'plugin', 'executors', 'generators'].some((d) => fs.existsSync(path.join(REPO, d)) && newer(path.join(REPO, d)));
}

export function buildAndPack(into: string): string {
  if (needsBuild()) build();
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', into], { cwd: REPO, encoding: 'utf8' }).trim().split('\n').pop()!;
  return path.join(into, out);
}

function build(): void {
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO, encoding: 'utf8' });
  if (tsc.status !== 0) {
    // tsc still emits JavaScript; type errors elsewhere in the tree are the build's business (npm run build fails on them)
    if (!fs.existsSync(path.join(REPO, 'dist', 'plugin', 'index.js'))) throw new Error(`build failed:\n${tsc.stdout}${tsc.stderr}`);
    console.warn(`tsc reported errors (continuing with the emitted JavaScript):\n${tsc.stdout}`);
  }
}

export interface NxResult {
  status: number;
  output: string;
  /** Tasks (project:target) that ran for real. */
  ran: string[];
  /** Tasks replayed from the cache. */
  hits: string[];
}

export class NxWorkspace {
  readonly root: string;

  constructor(readonly tarball: string) {
    this.root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-e2e-')));
    const nm = path.join(this.root, 'node_modules');
    fs.mkdirSync(nm);
    for (const entry of fs.readdirSync(path.join(REPO, 'node_modules'))) {
      if (entry === 'nx-mlc' || entry === '.package-lock.json') continue;
      fs.symlinkSync(path.join(REPO, 'node_modules', entry), path.join(nm, entry));
    }
    execFileSync('tar', ['xzf', tarball, '-C', nm]);
    fs.renameSync(path.join(nm, 'package'), path.join(nm, 'nx-mlc'));
    this.write('package.json', JSON.stringify({ name: 'models-ws', private: true, devDependencies: { nx: '23.3.1', 'nx-mlc': `file:${tarball}` } }, null, 2));
    this.write('.gitignore', 'node_modules\ndist\n.nx\n');
    // the plugin is registered by `nx g nx-mlc:model` (its init step), as a user's first command would
    this.write('nx.json', JSON.stringify({ cacheDirectory: '.nx/cache' }, null, 2));
  }

  write(file: string, content: string | Buffer): void {
    const abs = path.join(this.root, file);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, content);
  }

  read(file: string): string {
    return fs.readFileSync(path.join(this.root, file), 'utf8');
  }

  exists(file: string): boolean {
    return fs.existsSync(path.join(this.root, file));
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.root, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'e2e', GIT_AUTHOR_EMAIL: 'e2e@example.com', GIT_COMMITTER_NAME: 'e2e', GIT_COMMITTER_EMAIL: 'e2e@example.com' } });
  }

  nx(...args: string[]): NxResult {
    return this.nxWith({}, ...args);
  }

  /** Like nx(), with extra environment variables (e.g. NX_DAEMON=true). */
  nxWith(extraEnv: Record<string, string>, ...args: string[]): NxResult {
    const env: NodeJS.ProcessEnv = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NX_CACHE_DIRECTORY: path.join(this.root, '.nx', 'cache'), FORCE_COLOR: '0' };
    // a clean slate: nothing from the surrounding shell or jest may steer the run
    for (const k of ['NXMLC_HW_TARGET', 'NX_WORKSPACE_DATA_DIRECTORY', 'NX_PROJECT_GRAPH_CACHE_DIRECTORY', 'NX_TASK_TARGET_PROJECT']) delete env[k];
    Object.assign(env, extraEnv);
    const r = spawnSync(process.execPath, [nxBinary(this.root), ...args], {
      cwd: this.root,
      encoding: 'utf8',
      env,
      maxBuffer: 64 * 2 ** 20,
    });
    const output = `${r.stdout}${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
    const ran: string[] = [];
    const hits: string[] = [];
    for (const m of output.matchAll(/^> nx run (\S+)(.*)$/gm)) {
      (/\[(local cache|existing outputs match the cache)/.test(m[2]) ? hits : ran).push(m[1]);
    }
    return { status: r.status ?? -1, output, ran: [...new Set(ran)].sort(), hits: [...new Set(hits)].sort() };
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
