import { readNxJson, Tree, updateNxJson } from '@nx/devkit';

/**
 * `nx g nx-mlc:init`: register the plugin, keep validate tasks from running side by side (their reports
 * carry speed numbers, and each loads a whole model), and keep build outputs and Nx's data out of git.
 * Checkpoints go into .nxignore: the plugin fingerprints weights itself (memoised by size and mtime), so
 * Nx's file walker need not read multi-GB files on every change.
 */
export interface InitOptions {
  /** Skip the .nxignore entries for weight files (e.g. when weights are small and committed). */
  skipNxIgnore?: boolean;
}

export const PLUGIN = 'nx-mlc';
export const GITIGNORE_LINES = ['dist', '.nx/cache', '.nx/workspace-data'];
export const NXIGNORE_LINES = ['# weights: fingerprinted by nx-mlc (see mlc-model.yaml), never hashed by Nx', '*.safetensors', '*.bin', '*.pt', '*.pth'];

export function initGenerator(tree: Tree, options: InitOptions = {}): void {
  const nx = readNxJson(tree) ?? {};
  const plugins = nx.plugins ?? [];
  const registered = plugins.some((p) => (typeof p === 'string' ? p : p.plugin) === PLUGIN);
  if (!registered) nx.plugins = [...plugins, PLUGIN];
  nx.targetDefaults ??= {};
  nx.targetDefaults['validate--*'] ??= { parallelism: false };
  updateNxJson(tree, nx);
  appendLines(tree, '.gitignore', GITIGNORE_LINES);
  if (!options.skipNxIgnore) appendLines(tree, '.nxignore', NXIGNORE_LINES);
}

/** Append the lines a file lacks, leaving the rest as it is. */
export function appendLines(tree: Tree, file: string, lines: string[]): void {
  const text = tree.exists(file) ? tree.read(file, 'utf8')! : '';
  const have = new Set(text.split('\n').map((l) => l.trim().replace(/^\//, '').replace(/\/$/, '')));
  const missing = lines.filter((l) => !have.has(l.replace(/\/$/, '')));
  if (!missing.length) return;
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  tree.write(file, `${text}${sep}${missing.join('\n')}\n`);
}

export default initGenerator;
