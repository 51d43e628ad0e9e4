import { glob, Tree } from '@nx/devkit';
import { parseDocument } from 'yaml';
import { TARGETS } from '../../core/compiler/targets';
import { NxMlcError } from '../../core/support/errors';
import { MODEL_FILE_NAME, modelSpecFrom } from '../../schema/load-model-file';

/**
 * `nx g nx-mlc:target <model> --device metal [--name mac] [--opt O3]`: declare one more hardware target in a
 * model's mlc-model.yaml (comments and layout kept). The model's compile--<q>--<name> targets already exist
 * for known names, so nothing already built is invalidated; only the new target's tasks will run.
 */
export interface TargetOptions {
  project: string;
  device: string;
  name?: string;
  opt?: 'O0' | 'O1' | 'O2' | 'O3';
}

export function targetGenerator(tree: Tree, o: TargetOptions): void {
  const file = findModelFile(tree, o.project);
  const base = o.device.toLowerCase().split(':')[0];
  if (!TARGETS.some((t) => t.name === base || t.aliases.includes(o.device.toLowerCase()))) {
    throw new NxMlcError(`Unknown device "${o.device}"`, { field: 'device', fix: `Use one of ${TARGETS.map((t) => t.name).join(', ')}.` });
  }
  const doc = parseDocument(tree.read(file, 'utf8')!);
  const name = o.name ?? o.device.replace(/:/g, '-');
  const current = modelSpecFrom(tree.root, file, doc.toJS());
  if (current.hardware.some((h) => h.name === name)) {
    throw new NxMlcError(`Model ${o.project} already has a hardware target "${name}"`, { file, field: 'targets', fix: 'Pass --name to add it under another name.' });
  }
  const entry = o.name || o.opt ? { name, device: o.device, ...(o.opt ? { opt: o.opt } : {}) } : o.device;
  doc.addIn(['targets'], doc.createNode(entry));
  const text = doc.toString();
  modelSpecFrom(tree.root, file, parseDocument(text).toJS()); // the result must still be a valid model file
  tree.write(file, text);
}

/** Model projects are inferred (no project.json): find the model file whose project name matches. */
function findModelFile(tree: Tree, project: string): string {
  const files = glob(tree, [`**/${MODEL_FILE_NAME}`]).sort();
  for (const f of files) {
    const doc = parseDocument(tree.read(f, 'utf8')!).toJS() as { name?: unknown } | null;
    const dir = f.includes('/') ? f.slice(0, f.lastIndexOf('/')) : '.';
    const name = typeof doc?.name === 'string' ? doc.name : dir.split('/').pop();
    if (name === project) return f;
  }
  throw new NxMlcError(`No ${MODEL_FILE_NAME} declares a model named "${project}"`, {
    field: 'project',
    fix: `Declared models: ${files.map((f) => f).join(', ') || 'none'}; declare one with \`nx g nx-mlc:model\`.`,
  });
}

export default targetGenerator;
