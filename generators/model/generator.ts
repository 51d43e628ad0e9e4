import * as fs from 'node:fs';
import * as path from 'node:path';
import { joinPathFragments, Tree } from '@nx/devkit';
import { stringify } from 'yaml';
import { findArch, SUPPORTED_MODEL_TYPES } from '../../core/arch/registry';
import { chooseConvTemplateForDir } from '../../core/chat/auto-select';
import { isConvTemplateName } from '../../core/chat/registry';
import { NxMlcError } from '../../core/support/errors';
import { ModelFile, ModelFileSchema } from '../../schema/model-file';
import { MODEL_FILE_NAME } from '../../schema/load-model-file';
import { initGenerator } from '../init/generator';

/**
 * `nx g nx-mlc:model --source <dir | org/name>`: scaffold a model project (an mlc-model.yaml the plugin infers
 * targets from). Reads config.json to check the architecture is supported and proposes the conversation
 * template by matching the checkpoint's own chat template (`auto` when the tokenizer is not available yet).
 */
export interface ModelOptions {
  source: string;
  name?: string;
  directory?: string;
  quantizations?: string;
  targets?: string;
  convTemplate?: string;
  revision?: string;
  contextWindowSize?: number;
}

interface Checkpoint {
  config: Record<string, unknown>;
  /** A directory on disk holding the tokenizer files, when there is one. */
  dir: string | null;
}

export async function modelGenerator(tree: Tree, o: ModelOptions): Promise<void> {
  const local = localSource(tree, o.source);
  const name = o.name ?? path.basename(local ?? o.source).toLowerCase().replace(/[^a-z0-9_.-]+/g, '-');
  const directory = o.directory ?? joinPathFragments('models', name);
  const file = joinPathFragments(directory, MODEL_FILE_NAME);
  if (tree.exists(file)) throw new NxMlcError(`${file} already exists`, { file, fix: 'Pick another --name/--directory, or edit the file.' });

  const ckpt = local !== null ? readLocal(tree, local) : await readHub(o.source, o.revision ?? 'main');
  const modelType = String(ckpt.config.model_type ?? '');
  if (!findArch(modelType)) {
    throw new NxMlcError(`Unsupported architecture "${modelType || '(no model_type)'}"`, {
      file: local !== null ? joinPathFragments(local, 'config.json') : `${o.source}/config.json`,
      field: 'model_type',
      fix: `nx-mlc supports ${SUPPORTED_MODEL_TYPES.join(', ')}.`,
    });
  }
  let convTemplate = o.convTemplate;
  let templateNote = '';
  if (convTemplate && convTemplate !== 'auto' && !isConvTemplateName(convTemplate)) {
    throw new NxMlcError(`Unknown conversation template "${convTemplate}"`, { field: 'convTemplate', fix: 'Use a registered MLC template name, or leave it out to have one proposed.' });
  }
  if (!convTemplate && ckpt.dir) {
    const choice = chooseConvTemplateForDir(ckpt.dir);
    convTemplate = choice.name;
    templateNote = `${choice.reason}${choice.exact ? '' : ' (not an exact match: check it)'}`;
  }
  const data: ModelFile = {
    name,
    source: local !== null ? path.posix.relative(directory, local) || '.' : o.source,
    ...(local === null ? { revision: o.revision ?? 'main' } : {}),
    quantizations: list(o.quantizations, ['q4f16_1']),
    targets: list(o.targets, ['cpu']),
    convTemplate: convTemplate ?? 'auto',
    ...(o.contextWindowSize ? { overrides: { context_window_size: o.contextWindowSize } } : {}),
  };
  ModelFileSchema.parse(data);
  const header = [
    `# ${name}: ${modelType} checkpoint, declared for nx-mlc (targets: \`nx show project ${name}\`).`,
    ...(templateNote ? [`# convTemplate proposed: ${templateNote}`] : []),
  ];
  tree.write(file, `${header.join('\n')}\n${stringify(data)}`);
  initGenerator(tree);
}

function list(value: string | undefined, fallback: string[]): string[] {
  const items = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return items.length ? items : fallback;
}

/** Workspace-relative directory of a local checkpoint, or null for a Hugging Face repo id. */
function localSource(tree: Tree, source: string): string | null {
  const rel = path.isAbsolute(source) ? path.relative(tree.root, source) : path.posix.normalize(source);
  if (tree.exists(joinPathFragments(rel, 'config.json')) || fs.existsSync(path.join(tree.root, rel, 'config.json'))) return rel.split(path.sep).join('/');
  if (/^[\w.-]+\/[\w.-]+$/.test(source)) return null;
  throw new NxMlcError('No config.json in the checkpoint directory', { file: path.join(tree.root, rel, 'config.json'), field: 'source', fix: 'Point --source at a Hugging Face checkpoint directory, or pass an org/name repo id.' });
}

function readLocal(tree: Tree, dir: string): Checkpoint {
  const file = joinPathFragments(dir, 'config.json');
  const text = tree.exists(file) ? tree.read(file, 'utf8')! : fs.readFileSync(path.join(tree.root, file), 'utf8');
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(text);
  } catch (e) {
    throw new NxMlcError(`config.json is not valid JSON: ${(e as Error).message}`, { file, fix: 'Download the checkpoint again.' });
  }
  const onDisk = path.join(tree.root, dir);
  return { config, dir: fs.existsSync(path.join(onDisk, 'config.json')) ? onDisk : null };
}

/** config.json from the Hub (HF_ENDPOINT, as huggingface_hub reads it). The tokenizer is not fetched: template "auto". */
async function readHub(repoId: string, revision: string): Promise<Checkpoint> {
  const endpoint = (process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/$/, '');
  const url = `${endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/config.json`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(15_000), headers: process.env.HF_TOKEN ? { authorization: `Bearer ${process.env.HF_TOKEN}` } : {} });
  } catch (e) {
    throw new NxMlcError(`Could not reach the Hugging Face Hub for ${repoId}: ${(e as Error).message}`, { file: url, fix: 'Download the checkpoint and pass its directory as --source.' });
  }
  if (!res.ok) throw new NxMlcError(`The Hub answered ${res.status} for ${repoId}@${revision}`, { file: url, fix: res.status === 401 || res.status === 403 ? 'Set HF_TOKEN for gated repos.' : 'Check the repo id and revision.' });
  try {
    return { config: (await res.json()) as Record<string, unknown>, dir: null };
  } catch {
    throw new NxMlcError(`config.json of ${repoId} is not valid JSON`, { file: url, fix: 'Check the repo id and revision.' });
  }
}

export default modelGenerator;
