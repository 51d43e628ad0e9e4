import * as path from 'node:path';
import { NxMlcError } from '../../core/support/errors';
import { HardwareTarget, hardwareByName, loadModelFile, ModelSpec } from '../../schema/load-model-file';

/** The model file behind a target, if the target names one (inferred targets always do). */
export function modelSpecOf(root: string, model: string | undefined): ModelSpec | null {
  return model ? loadModelFile(root, model) : null;
}

/** A checkpoint directory (absolute) from explicit options or the model file; HF repo ids are not fetched yet. */
export function resolveSource(root: string, explicit: string | undefined, spec: ModelSpec | null, stage: string): string {
  if (explicit) return path.resolve(root, explicit);
  if (!spec) throw new NxMlcError(`${stage}: no checkpoint given`, { field: 'source', fix: 'Set the "source" option, or "model" (an mlc-model.yaml).' });
  return path.resolve(root, spec.sourceDir);
}

export function need<T = string>(value: T | undefined, option: string, stage: string): T {
  if (value === undefined) throw new NxMlcError(`${stage}: the "${option}" option is required`, { field: option, fix: `Set "${option}" in the target's options, or "model" (an mlc-model.yaml).` });
  return value;
}

/** The hardware target a fan-out task is for: declared in the model file, or made up from the options. */
export function hardwareOf(spec: ModelSpec | null, target: string | undefined, device: string | undefined): HardwareTarget {
  const declared = target ? hardwareByName(spec, target) : undefined;
  if (declared) return { ...declared, ...(device ? { device } : {}) };
  const d = device ?? target;
  if (!d) throw new NxMlcError('No hardware target given', { field: 'device', fix: 'Pass --device=<device> (e.g. cpu) or --target=<name>.' });
  return { name: (target ?? d).replace(/:/g, '-'), device: d };
}
