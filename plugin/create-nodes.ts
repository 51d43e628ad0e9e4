import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateNodes, CreateNodesContext, createNodesFromFiles } from '@nx/devkit';
import { loadModelFile } from '../schema/load-model-file';
import { inferTargets, targetGroups } from './targets';

/** Options of the plugin entry in nx.json. */
export interface NxMlcPluginOptions {
  /** Executor package to reference in inferred targets (default "nx-mlc"; "." inside the nx-mlc repository). */
  executors?: string;
}

export const MODEL_FILE_GLOB = '**/mlc-model.yaml';

/**
 * The command Nx runs for a stage's runtime input, relative to the workspace root so hashes do not depend
 * on where the workspace lives. From sources (this repository before a build) it goes through swc.
 */
export function fingerprintCommand(workspaceRoot: string): string {
  const js = path.join(__dirname, 'fingerprint-cli.js');
  const rel = (p: string) => path.relative(workspaceRoot, p).split(path.sep).join('/');
  if (fs.existsSync(js)) return `node ${rel(js)}`;
  return `node -r @swc-node/register ${rel(path.join(__dirname, 'fingerprint-cli.ts'))}`;
}

export const createNodes: CreateNodes<NxMlcPluginOptions> = [
  MODEL_FILE_GLOB,
  (files, options, context: CreateNodesContext) =>
    createNodesFromFiles(
      (file, opts) => {
        const spec = loadModelFile(context.workspaceRoot, file);
        const targets = inferTargets(spec, { executors: opts?.executors ?? 'nx-mlc', fingerprintCommand: fingerprintCommand(context.workspaceRoot) });
        return {
          projects: {
            [spec.root]: {
              name: spec.name,
              root: spec.root,
              projectType: 'application',
              tags: ['mlc-model'],
              targets,
              metadata: { description: `MLC model ${spec.name} (${spec.data.source})`, targetGroups: targetGroups(spec) },
            },
          },
        };
      },
      files,
      options,
      context,
    ),
];
