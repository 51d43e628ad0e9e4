import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { NxMlcError } from '../core/support/errors';
import type { HardwareTargetInput, ModelFile } from './model-file';

/** The file name the plugin looks for. */
export const MODEL_FILE_NAME = 'mlc-model.yaml';

export interface HardwareTarget {
  /** Part of the Nx target name: compile--<quantization>--<name>. */
  name: string;
  /** MLC --device. */
  device: string;
  opt?: 'O0' | 'O1' | 'O2' | 'O3';
}

/** A model file, validated and with every path resolved against the workspace root. */
export interface ModelSpec {
  /** Workspace-relative path of the model file (forward slashes). */
  file: string;
  /** Workspace-relative project root (the model file's directory; '.' for the root). */
  root: string;
  name: string;
  data: ModelFile;
  /** Workspace-relative checkpoint directory (for a Hub repo id: where the acquire target downloads it). */
  sourceDir: string;
  /** Hugging Face repo id when the source is not a local directory (an `acquire` target fetches it). */
  repoId: string | null;
  hardware: HardwareTarget[];
  /** Workspace-relative directory all artifacts go to. */
  outputDir: string;
}

const posix = (p: string) => p.split(path.sep).join('/');

/**
 * Read and validate `mlc-model.yaml`; errors name the file, the field and the fix. `validate: false` skips the
 * zod schema (about 100 ms of module loading): for the fingerprint command Nx spawns once per task hash, where
 * a bad file only needs to give a stable fingerprint (the stage itself then reports it).
 */
export function loadModelFile(workspaceRoot: string, file: string, opts: { validate?: boolean } = {}): ModelSpec {
  const abs = path.resolve(workspaceRoot, file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch {
    throw new NxMlcError('The model file does not exist', { file: abs, fix: `Create it (nx g nx-mlc:model), or fix the "model" option.` });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new NxMlcError(`The model file is not valid YAML: ${(e as Error).message.split('\n')[0]}`, { file: abs, fix: 'Fix the YAML syntax.' });
  }
  return modelSpecFrom(workspaceRoot, posix(path.relative(workspaceRoot, abs)), raw, opts);
}

export function modelSpecFrom(workspaceRoot: string, file: string, raw: unknown, opts: { validate?: boolean } = {}): ModelSpec {
  if (opts.validate === false) return specOf(workspaceRoot, file, loose(raw));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ModelFileSchema } = require('./model-file') as typeof import('./model-file');
  const parsed = ModelFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.') || undefined;
    throw new NxMlcError(`Invalid model file: ${issue.message}`, {
      file: path.resolve(workspaceRoot, file),
      field,
      fix: field ? `Fix "${field}" (see the mlc-model.yaml reference in the README).` : 'See the mlc-model.yaml reference in the README.',
    });
  }
  return specOf(workspaceRoot, file, parsed.data);
}

/** Unvalidated: the shape the rest of the code relies on, with safe defaults. */
function loose(raw: unknown): ModelFile {
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const arr = (v: unknown) => (Array.isArray(v) ? v : []);
  return { ...o, source: String(o.source ?? '.'), quantizations: arr(o.quantizations).map(String), targets: arr(o.targets).filter((t) => typeof t === 'string' || (t && typeof t === 'object')), convTemplate: String(o.convTemplate ?? '') } as ModelFile;
}

function specOf(workspaceRoot: string, file: string, data: ModelFile): ModelSpec {
  const root = posix(path.dirname(file)) || '.';
  const name = data.name ?? (root === '.' ? path.basename(workspaceRoot) : path.basename(root));
  const local = resolveLocalSource(workspaceRoot, root, data.source);
  const hardware = data.targets.map(normalizeHardware);
  const seen = new Set<string>();
  for (const h of hardware) {
    if (seen.has(h.name)) {
      throw new NxMlcError(`Hardware target "${h.name}" is declared twice`, { file: path.resolve(workspaceRoot, file), field: 'targets', fix: 'Give each target its own name.' });
    }
    seen.add(h.name);
  }
  const outputDir = data.outputDir ? posix(path.normalize(path.join(root, data.outputDir))) : posix(path.join('dist', root));
  const repoId = local === null ? data.source.replace(/^hf:/, '') : null;
  return { file, root, name, data, sourceDir: local ?? `${outputDir}/checkpoint`, repoId, hardware, outputDir };
}

/** A local directory (relative to the model file) wins; `hf:org/name` or a bare `org/name` that is not a directory is a repo id. */
function resolveLocalSource(workspaceRoot: string, root: string, source: string): string | null {
  if (source.startsWith('hf:')) return null;
  const rel = posix(path.normalize(path.join(root, source)));
  if (path.isAbsolute(source)) return source;
  if (/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(source) && !fs.existsSync(path.join(workspaceRoot, rel))) return null;
  return rel;
}

function normalizeHardware(t: HardwareTargetInput): HardwareTarget {
  if (typeof t === 'string') return { name: t.replace(/:/g, '-'), device: t };
  return { name: String(t.name), device: String(t.device), ...(t.opt ? { opt: t.opt } : {}) };
}

/**
 * Hardware targets every model project has compile/validate targets for, declared or not. Nx hashes the list
 * of a project's targets into every task of the project, so a fixed list is what lets "one more hardware
 * target" run one compile instead of invalidating the model; the model file's `targets` only chooses which
 * ones `compile`/`validate` run by default. A custom-named target (object form) adds targets of its own.
 */
export const KNOWN_HARDWARE: readonly HardwareTarget[] = [
  { name: 'cpu', device: 'cpu' },
  { name: 'cpu-native', device: 'cpu:native' },
  { name: 'cuda', device: 'cuda' },
  { name: 'rocm', device: 'rocm' },
  { name: 'vulkan', device: 'vulkan' },
  { name: 'metal', device: 'metal' },
  { name: 'webgpu', device: 'webgpu' },
  { name: 'iphone', device: 'iphone' },
  { name: 'android', device: 'android' },
];

/** Every hardware target name the project has fan-out targets for: the known ones, then custom declared ones. */
export function hardwareTargetNames(spec: ModelSpec): string[] {
  const names = KNOWN_HARDWARE.map((h) => h.name);
  for (const h of spec.hardware) if (!names.includes(h.name)) names.push(h.name);
  return names;
}

/** A hardware target as the model file declares it, or its defaults when it is known but not declared. */
export function hardwareByName(spec: ModelSpec | null, name: string): HardwareTarget | undefined {
  return spec?.hardware.find((h) => h.name === name) ?? KNOWN_HARDWARE.find((h) => h.name === name);
}

/** Library file extension per device family (MLC's conventions). */
export function libraryExtension(device: string): string {
  const base = device.split(':')[0].toLowerCase();
  if (base === 'metal') return '.dylib';
  // nx-mlc's WebGPU artifact is an ES module holding the WGSL shaders and the plan (core/webgpu/README.md).
  if (base === 'webgpu') return '.mjs';
  if (base === 'iphone' || base === 'android' || base === 'opencl' || base === 'macabi') return '.tar';
  return '.so';
}

/** Where each stage writes, relative to the workspace root. One model directory per quantization, as MLC lays it out. */
export const artifactPaths = {
  modelDir: (spec: ModelSpec, quantization: string) => `${spec.outputDir}/${quantization}`,
  library: (spec: ModelSpec, quantization: string, hw: HardwareTarget) => `${spec.outputDir}/libs/${spec.name}-${quantization}-${hw.name}${libraryExtension(hw.device)}`,
  report: (spec: ModelSpec, quantization: string, hw: HardwareTarget) => `${spec.outputDir}/reports/${quantization}-${hw.name}.json`,
};

/** The small file gen-config writes next to mlc-chat-config.json: exactly what a compiled library depends on. */
export const MODEL_LIB_INPUTS_FILE = 'model-lib-inputs.json';
