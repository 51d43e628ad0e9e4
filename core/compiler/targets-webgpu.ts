/**
 * The webgpu target's entry for the target registry, and its `--device` grammar: `webgpu` (alias
 * `webgpu:generic`). The library is an ES module of WGSL shaders + plan (core/webgpu/artifact.ts), so
 * there is no toolchain: compile renders and writes it; the TS host (core/webgpu) runs it in a browser
 * or in Node through Dawn (the `webgpu` package).
 */
import type { TargetSpec } from './targets';

export const WEBGPU_TARGET: TargetSpec = { name: 'webgpu', aliases: ['webgpu:generic'], language: 'WGSL', toolchain: 'none', extension: '.mjs', built: true };

export function isWebgpuDevice(device: string): boolean {
  const d = device.trim().toLowerCase();
  return d === WEBGPU_TARGET.name || WEBGPU_TARGET.aliases.includes(d);
}
