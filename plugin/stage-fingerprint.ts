import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hardwareByName, loadModelFile, ModelSpec } from '../schema/load-model-file';
import { DigestMemo } from './file-digest';
import { canonical } from '../schema/canonical-json';

export { canonical };

/**
 * What each stage reads outside its Nx options, as one printable fingerprint (DESIGN §1). The plugin hands
 * these to Nx as `runtime` inputs, because checkpoints are usually gitignored or outside the workspace, where
 * Nx's own file inputs see nothing. Each line names one thing read and its digest, so `--verbose` hash
 * details stay readable, and the output is stable (sorted, no absolute paths, no timestamps).
 */

export type Stage = 'gen-config' | 'convert-weight' | 'compile' | 'validate';
export const STAGES: Stage[] = ['gen-config', 'convert-weight', 'compile', 'validate'];

/** gen-config's files besides config.json (core/gen-config's TOKENIZER_FILES; a test keeps the two equal). */
export const GEN_CONFIG_FILES = ['config.json', 'generation_config.json', 'tokenizer.model', 'tokenizer.json', 'vocab.json', 'merges.txt', 'added_tokens.json', 'tokenizer_config.json'];

/** Files convert-weight may read: weights and their index files, plus config.json (architecture, shapes). */
export function isWeightFile(name: string): boolean {
  return /\.(safetensors|bin|pt|pth)$/.test(name) || /\.index\.json$/.test(name);
}

type Line = [string, string];

/**
 * @param hardware compile only: the hardware target name (its device and opt come from the model file).
 */
export function stageFingerprint(workspaceRoot: string, stage: Stage, modelFile: string, memo: DigestMemo, hardware?: string): string {
  const spec = loadModelFile(workspaceRoot, modelFile, { validate: false });
  const lines: Line[] = [['nx-mlc', packageVersion()]];
  const d = spec.data;
  if (stage === 'compile') {
    // not model_config: that arrives through gen-config's model-lib-inputs.json (a dependent task output)
    const hw = hardware ? hardwareByName(spec, hardware) : undefined;
    lines.push(['hardware', canonical(hw ?? { name: hardware ?? null, unknown: true })]);
    lines.push(...compilerLines(memo));
  } else if (stage === 'gen-config') {
    lines.push(['settings', canonical({ source: d.source, revision: d.revision, modelType: d.modelType, convTemplate: d.convTemplate, overrides: d.overrides })]);
    lines.push(...sourceFiles(workspaceRoot, spec, GEN_CONFIG_FILES, memo));
  } else if (stage === 'convert-weight') {
    lines.push(...weightLines(workspaceRoot, spec, memo));
  } else {
    lines.push(['settings', canonical({ validate: d.validate })]);
    if (d.validate?.reference) {
      const ref = path.join(path.dirname(path.resolve(workspaceRoot, spec.file)), d.validate.reference);
      lines.push(['reference', memo.digest(ref) ?? 'missing']);
    }
    lines.push(...weightLines(workspaceRoot, spec, memo));
  }
  return render(lines);
}

function weightLines(workspaceRoot: string, spec: ModelSpec, memo: DigestMemo): Line[] {
  const d = spec.data;
  const lines: Line[] = [['weights-settings', canonical({ source: d.source, revision: d.revision, modelType: d.modelType, sourceFormat: d.sourceFormat })]];
  if (spec.repoId) return [...lines, ...sourceFiles(workspaceRoot, spec, [], memo)];
  const dir = path.resolve(workspaceRoot, spec.sourceDir);
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter(isWeightFile).sort();
  } catch {
    lines.push(['source', 'missing']);
  }
  return [...lines, ...sourceFiles(workspaceRoot, spec, ['config.json', ...names], memo)];
}

function sourceFiles(workspaceRoot: string, spec: ModelSpec, names: string[], memo: DigestMemo): Line[] {
  // a Hub checkpoint is identified by the acquire lock (every file's sha256), a dependent task output
  if (spec.repoId) return [['hf', `${spec.repoId}@${spec.data.revision ?? 'main'}`]];
  const dir = path.resolve(workspaceRoot, spec.sourceDir);
  return names.map((n) => [n, memo.digest(path.join(dir, n)) ?? 'absent'] as Line);
}

/**
 * The compiler: the bytes of the compiler code that actually runs (core/compiler next to this module: dist/ when
 * installed, the sources when run from them) and of the native runtime sources compiled into every library.
 */
function compilerLines(memo: DigestMemo): Line[] {
  const root = packageRoot();
  const lines: Line[] = [];
  for (const abs of [path.join(__dirname, '..', 'core', 'compiler'), path.join(root, 'native')]) {
    if (!fs.existsSync(abs)) continue;
    for (const f of walk(abs)) {
      if (f.endsWith('.test.ts') || f.endsWith('.map') || f.endsWith('.d.ts')) continue;
      lines.push([path.relative(root, f).split(path.sep).join('/'), memo.digest(f) ?? 'absent']);
    }
  }
  return lines;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

let cachedRoot: string | undefined;
/** The nx-mlc package root (works from sources and from dist/). */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = __dirname;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj) && JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'nx-mlc') return (cachedRoot = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error('nx-mlc: package.json not found above ' + __dirname);
    dir = up;
  }
}

export function packageVersion(): string {
  return JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).version;
}

function render(lines: Line[]): string {
  const body = lines.map(([k, v]) => `${k} ${v}`).join('\n');
  const sum = crypto.createHash('sha256').update(body).digest('hex');
  return `${body}\nfingerprint ${sum}\n`;
}
