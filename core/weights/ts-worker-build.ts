import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Running from TypeScript sources (jest, ts-node style tools), a worker thread needs JavaScript. Loading
 * @swc-node/register inside the worker works but can crash the process when the thread exits soon after
 * (its native compiler does not survive worker teardown), so instead the worker module and its relative
 * imports are transpiled here with the TypeScript compiler (pure JS) into a temp folder, once per process.
 */
const built = new Map<string, string>();

export function buildWorkerScript(entryTs: string): string {
  const hit = built.get(entryTs);
  if (hit) return hit;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require('typescript') as typeof import('typescript');
  const files = new Map<string, string>(); // absolute .ts path → source
  const visit = (file: string) => {
    if (files.has(file)) return;
    const src = fs.readFileSync(file, 'utf8');
    files.set(file, src);
    for (const m of src.matchAll(/(?:from|import|require\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = path.resolve(path.dirname(file), m[1]);
      visit(fs.existsSync(`${target}.ts`) ? `${target}.ts` : path.join(target, 'index.ts'));
    }
  };
  visit(entryTs);
  const root = path.dirname(path.dirname(path.dirname(entryTs))); // repository root (…/core/weights/x.ts)
  const hash = crypto.createHash('sha256');
  for (const [f, src] of [...files].sort()) hash.update(f).update(src);
  const outDir = path.join(os.tmpdir(), `nx-mlc-workers-${hash.digest('hex').slice(0, 16)}`);
  const outOf = (f: string) => path.join(outDir, path.relative(root, f)).replace(/\.ts$/, '.js');
  if (!fs.existsSync(outOf(entryTs))) {
    const staging = `${outDir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    for (const [f, src] of files) {
      const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
      const dest = path.join(staging, path.relative(root, f)).replace(/\.ts$/, '.js');
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, js);
    }
    try {
      fs.renameSync(staging, outDir);
    } catch {
      fs.rmSync(staging, { recursive: true, force: true }); // another process built it first
    }
  }
  built.set(entryTs, outOf(entryTs));
  return outOf(entryTs);
}
