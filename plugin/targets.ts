import type { TargetConfiguration } from '@nx/devkit';
import { STORE_MANIFEST_FILE } from '../schema/store-manifest';
import { artifactPaths, HardwareTarget, hardwareByName, hardwareTargetNames, KNOWN_HARDWARE, MODEL_LIB_INPUTS_FILE, ModelSpec } from '../schema/load-model-file';

/**
 * The targets inferred for one model (pure: spec in, targets out).
 *
 * Nx hashes every target's executor, options, outputs and configurations into every task of the project
 * (hash_project_config), so options here hold only what never changes for a given target name: the model
 * file, the quantization, the hardware target's name. Everything a user edits in mlc-model.yaml (template,
 * overrides, weights, a target's device/opt, validation prompt) reaches each stage through its own `runtime`
 * fingerprint, which is what makes a new template re-run gen-config only. For the same reason the set of
 * targets is fixed (every known hardware target exists, declared or not; see KNOWN_HARDWARE).
 */

export interface TargetOptions {
  /** Executor package name ("nx-mlc"; "." inside this repository). */
  executors: string;
  /** Command prefix that prints a stage fingerprint, e.g. `node node_modules/nx-mlc/dist/plugin/fingerprint-cli.js`. */
  fingerprintCommand: string;
}

/** `compile:<name>` / `validate:<name>` configurations: fixed for the same reason as the target list. */
export const DEVICE_CONFIGURATIONS = KNOWN_HARDWARE.map((h) => h.name);

export const TARGET_GROUP = 'MLC model';

export const fanOutName = {
  genConfig: (q: string) => `gen-config--${q}`,
  convertWeight: (q: string) => `convert-weight--${q}`,
  compile: (q: string, hw: HardwareTarget | string) => `compile--${q}--${typeof hw === 'string' ? hw : hw.name}`,
  validate: (q: string, hw: HardwareTarget | string) => `validate--${q}--${typeof hw === 'string' ? hw : hw.name}`,
};

const TECH = ['mlc-llm'];
const TOKENIZER_OUTPUTS = ['tokenizer.model', 'tokenizer.json', 'vocab.json', 'merges.txt', 'added_tokens.json', 'tokenizer_config.json'];
const WEIGHT_INDEXES = ['tensor-cache.json', 'ndarray-cache.json', 'tensor-cache-b16.json', 'ndarray-cache-b16.json'];
/** Nx caches the shards themselves, unless the model keeps them in the weight store: then only the manifest. */
const weightOutputs = (spec: ModelSpec): string[] => [...WEIGHT_INDEXES, spec.data.weightStore ? STORE_MANIFEST_FILE : 'params_shard_*.bin'];

export function inferTargets(spec: ModelSpec, o: TargetOptions): Record<string, TargetConfiguration> {
  const ex = (name: string) => `${o.executors}:${name}`;
  const fp = (...args: string[]) => ({ runtime: `${o.fingerprintCommand} ${args.join(' ')}` });
  const ws = (p: string) => `{workspaceRoot}/${p}`;
  const noExternal = { externalDependencies: [] as string[] };
  const targets: Record<string, TargetConfiguration> = {};
  const qs = spec.data.quantizations;
  const hws = spec.hardware;

  // a Hub checkpoint: one acquire target downloads it; the lock file (commit + every file's sha256) is what
  // gen-config and convert-weight hash, as a dependent task output, instead of the files
  const acquired = spec.repoId !== null;
  const lock = `${spec.sourceDir}/nx-mlc.lock.json`;
  if (acquired) {
    targets['acquire'] = {
      executor: ex('acquire'),
      options: { repo: spec.repoId, ...(spec.data.revision ? { revision: spec.data.revision } : {}), output: spec.sourceDir },
      cache: true,
      inputs: [noExternal],
      outputs: [ws(lock)],
      metadata: { description: `Download ${spec.repoId}@${spec.data.revision ?? 'main'} into ${spec.sourceDir} (nx-mlc.lock.json pins every file)`, technologies: TECH },
    };
  }
  const fromSource = acquired ? { dependsOn: ['acquire'] } : {};
  const lockInput = acquired ? [{ dependentTasksOutputFiles: '**/nx-mlc.lock.json' }] : [];

  for (const q of qs) {
    const dir = artifactPaths.modelDir(spec, q);
    targets[fanOutName.genConfig(q)] = {
      executor: ex('gen-config'),
      options: { model: spec.file, quantization: q },
      cache: true,
      ...fromSource,
      inputs: [fp('gen-config', spec.file), ...lockInput, noExternal],
      outputs: ['mlc-chat-config.json', MODEL_LIB_INPUTS_FILE, ...TOKENIZER_OUTPUTS].map((f) => ws(`${dir}/${f}`)),
      metadata: { description: `Write mlc-chat-config.json (${q}) and copy the tokenizer into ${dir}`, technologies: TECH },
    };
    targets[fanOutName.convertWeight(q)] = {
      executor: ex('convert-weight'),
      options: { model: spec.file, quantization: q },
      cache: true,
      ...fromSource,
      inputs: [fp('convert-weight', spec.file), ...lockInput, noExternal],
      outputs: weightOutputs(spec).map((f) => ws(`${dir}/${f}`)),
      metadata: { description: `Quantize the weights to ${q} (tensor-cache.json + params_shard_*.bin in ${dir})`, technologies: TECH },
    };
    for (const name of hardwareTargetNames(spec)) {
      const hw = hardwareByName(spec, name)!;
      const declared = hws.some((h) => h.name === name);
      const note = declared ? '' : ' (not declared in the model file: runs with defaults)';
      const lib = artifactPaths.library(spec, q, hw);
      targets[fanOutName.compile(q, name)] = {
        executor: ex('compile'),
        options: { model: spec.file, quantization: q, target: name },
        cache: true,
        dependsOn: [fanOutName.genConfig(q)],
        // model_config only (the file gen-config derives from mlc-chat-config), the target's device/opt, the compiler
        inputs: [{ dependentTasksOutputFiles: `**/${MODEL_LIB_INPUTS_FILE}` }, fp('compile', spec.file, name), noExternal],
        outputs: [ws(lib), ws(`${lib}.json`)],
        metadata: { description: `Compile the ${q} model library for ${name}${note} → ${lib}`, technologies: TECH },
      };
      const report = artifactPaths.report(spec, q, hw);
      targets[fanOutName.validate(q, name)] = {
        executor: ex('validate'),
        options: { model: spec.file, quantization: q, target: name },
        cache: true,
        dependsOn: [fanOutName.compile(q, name), fanOutName.convertWeight(q)],
        // every small artifact upstream (configs, tokenizer, tensor-cache.json, library manifest), never the shards
        inputs: [{ dependentTasksOutputFiles: '**/*.json', transitive: true }, fp('validate', spec.file), noExternal],
        outputs: [ws(report)],
        metadata: { description: `Run the ${q} model on ${name}${note} and write ${report}`, technologies: TECH },
      };
    }
  }

  targets['gen-config'] = {
    executor: 'nx:noop',
    dependsOn: qs.map(fanOutName.genConfig),
    metadata: { description: `gen-config for every quantization (${qs.join(', ')})`, technologies: TECH },
  };
  targets['convert-weight'] = {
    executor: 'nx:noop',
    dependsOn: qs.map(fanOutName.convertWeight),
    metadata: { description: `convert-weight for every quantization (${qs.join(', ')})`, technologies: TECH },
  };
  const configurations = Object.fromEntries(DEVICE_CONFIGURATIONS.map((d) => [d, { target: d }]));
  targets['compile'] = {
    executor: ex('compile'),
    options: { model: spec.file, dispatch: true },
    configurations,
    cache: false,
    metadata: {
      description: `Compile for one hardware target (--target=<name>, --device=<device> or compile:<device>); default: every target (${hws.map((h) => h.name).join(', ')}). Runs the cached compile--<q>--<target> tasks.`,
      technologies: TECH,
    },
  };
  targets['validate'] = {
    executor: ex('validate'),
    options: { model: spec.file, dispatch: true },
    configurations,
    cache: false,
    metadata: {
      description: `Validate on one hardware target (--target=<name>, --device=<device> or validate:<device>); default: every target. Runs the cached validate--<q>--<target> tasks.`,
      technologies: TECH,
    },
  };
  return targets;
}

/** Groups for `nx show project` / the graph UI. */
export function targetGroups(spec: ModelSpec): Record<string, string[]> {
  const qs = spec.data.quantizations;
  return {
    [TARGET_GROUP]: [...(spec.repoId ? ['acquire'] : []), 'gen-config', 'convert-weight', 'compile', 'validate'],
    'gen-config': qs.map(fanOutName.genConfig),
    'convert-weight': qs.map(fanOutName.convertWeight),
    compile: qs.flatMap((q) => spec.hardware.map((hw) => fanOutName.compile(q, hw))),
    validate: qs.flatMap((q) => spec.hardware.map((hw) => fanOutName.validate(q, hw))),
  };
}
