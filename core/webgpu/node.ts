/// <reference types="@webgpu/types" />
/**
 * Node side of the webgpu host: WebGPU through Dawn (the `webgpu` npm package), weights from disk, the
 * library read from its `.mjs` without evaluating it. Dawn needs a Vulkan driver; on CPU-only machines that
 * is SwiftShader (Debian's chromium ships `/usr/lib/chromium/vk_swiftshader_icd.json`) or Mesa 25 lavapipe
 * (environment.md §4.1). When VK_ICD_FILENAMES is unset and SwiftShader is present, it is used.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseWebgpuLibrary, type WebgpuLibrary } from './artifact';
import type { WeightSource } from './tensor-cache';

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let gpu: GPU | undefined;

/** The Dawn GPU object (created once per process). Throws with a reason when Dawn cannot load. */
export function nodeGpu(): GPU {
  if (gpu) return gpu;
  if (!process.env.VK_ICD_FILENAMES && fs.existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  // The package's index.js is an ES module; its native addon is all we need and loads from CommonJS.
  const pkgDir = path.dirname(require.resolve('webgpu/package.json'));
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dawn = require(path.join(pkgDir, 'dist', `${process.platform}-${arch}`, 'dawn.node')) as { create(flags: string[]): GPU; globals: Record<string, unknown> };
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  gpu = dawn.create([]);
  return gpu;
}

/** Why WebGPU cannot run in this Node process, or null when an adapter is available. */
export async function nodeWebgpuUnavailable(): Promise<string | null> {
  try {
    const adapter = await nodeGpu().requestAdapter();
    return adapter ? null : 'Dawn found no WebGPU adapter (install chromium for SwiftShader, or Mesa 25 lavapipe; needs libvulkan1)';
  } catch (e) {
    return `Dawn (npm webgpu) does not load: ${(e as Error).message}`;
  }
}

export function readWebgpuLibrary(file: string): WebgpuLibrary {
  return parseWebgpuLibrary(fs.readFileSync(file, 'utf8'), file);
}

/** Weights from an MLC weight directory on disk. */
export class FileWeightSource implements WeightSource {
  constructor(readonly where: string) {}

  async tensorCache(): Promise<unknown> {
    for (const name of ['tensor-cache.json', 'ndarray-cache.json']) {
      const f = path.join(this.where, name);
      if (fs.existsSync(f)) return JSON.parse(fs.readFileSync(f, 'utf8'));
    }
    throw new Error(`${this.where} has no tensor-cache.json; run \`nx-mlc convert-weight\` into it first`);
  }

  async shard(dataPath: string): Promise<Uint8Array> {
    return new Uint8Array(fs.readFileSync(path.join(this.where, dataPath)));
  }
}
