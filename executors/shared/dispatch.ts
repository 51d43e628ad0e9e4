import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { NxMlcError } from '../../core/support/errors';
import { ModelSpec } from '../../schema/load-model-file';
import { HW_TARGET_ENV } from '../../schema/hardware-env';
import { log } from './run-stage';

/**
 * The plain `compile` / `validate` targets take the hardware target as an option (`--target=metal`, which
 * the plugin's preTasksExecution hook recovers, `--device=metal`, or the `compile:metal` configuration) and
 * run the matching cached fan-out tasks (`compile--<q>--<target>`) in a nested Nx run, so they are cached
 * exactly like `nx run-many -t compile` would be.
 */
export interface DispatchRequest {
  stage: 'compile' | 'validate';
  spec: ModelSpec;
  target?: string;
  device?: string;
  quantization?: string;
}

/** Which declared hardware targets a request selects (by name, or by device). */
export function selectHardware(spec: ModelSpec, wanted: string | undefined): string[] {
  if (!wanted) return spec.hardware.map((h) => h.name);
  const base = (d: string) => d.toLowerCase().split(':')[0];
  const byName = spec.hardware.filter((h) => h.name === wanted);
  const chosen = byName.length ? byName : spec.hardware.filter((h) => h.device === wanted || base(h.device) === wanted.toLowerCase());
  return chosen.map((h) => h.name);
}

export function fanOutTasks(req: DispatchRequest, wanted: string | undefined): string[] {
  const hws = selectHardware(req.spec, wanted);
  if (wanted && !hws.length) {
    throw new NxMlcError(`"${wanted}" is not a hardware target of model ${req.spec.name} (declared: ${req.spec.hardware.map((h) => h.name).join(', ')})`, {
      file: req.spec.file,
      field: 'targets',
      fix: `Add it to "targets" in ${req.spec.file} (or run \`nx g nx-mlc:target ${req.spec.name} --device ${wanted}\`), then run again.`,
    });
  }
  const qs = req.quantization ? [req.quantization] : req.spec.data.quantizations;
  for (const q of qs) {
    if (!req.spec.data.quantizations.includes(q)) {
      throw new NxMlcError(`"${q}" is not a quantization of model ${req.spec.name}`, { file: req.spec.file, field: 'quantizations', fix: `Use one of ${req.spec.data.quantizations.join(', ')}, or add it.` });
    }
  }
  return qs.flatMap((q) => hws.map((hw) => `${req.stage}--${q}--${hw}`));
}

export function wantedHardware(req: DispatchRequest, context: ExecutorContext): string | undefined {
  return req.target || req.device || process.env[HW_TARGET_ENV] || context.configurationName || undefined;
}

/** The workspace's own nx CLI script (its package.json "bin"), run with this Node. */
export function nxBinary(root: string): string {
  try {
    const pj = require.resolve('nx/package.json', { paths: [root] });
    const bin = JSON.parse(fs.readFileSync(pj, 'utf8')).bin;
    return path.join(path.dirname(pj), typeof bin === 'string' ? bin : bin.nx);
  } catch {
    throw new NxMlcError('nx is not installed in this workspace', { fix: 'npm install -D nx' });
  }
}

export function dispatch(req: DispatchRequest, context: ExecutorContext): boolean {
  const tasks = fanOutTasks(req, wantedHardware(req, context));
  log(`${req.stage}: running ${tasks.join(', ')}`);
  const nxBin = nxBinary(context.root);
  const args = [nxBin, 'run-many', '-t', ...tasks, '-p', context.projectName!, '--outputStyle=static'];
  const env: NodeJS.ProcessEnv = { ...process.env, NX_TUI: "false" };
  delete env[HW_TARGET_ENV];
  const r = spawnSync(process.execPath, args, { cwd: context.root, stdio: 'inherit', env });
  if (r.error) throw r.error;
  return r.status === 0;
}

