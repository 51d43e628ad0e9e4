/**
 * Target registry, as data: every `--device` MLC accepts maps to one entry. cpu (here), cuda
 * (targets-cuda.ts) and webgpu (targets-webgpu.ts) are built; the others are recognised so that a
 * user gets a clear "not built yet" instead of a guess.
 */
import { NxMlcError } from '../support/errors';
import { CUDA_TARGET } from './targets-cuda';
import { WEBGPU_TARGET } from './targets-webgpu';

export interface TargetSpec {
  name: string;
  /** Other `--device` spellings (MLC's `llvm` for cpu; preset names). */
  aliases: string[];
  language: 'C++' | 'CUDA C++' | 'HIP' | 'GLSL' | 'WGSL' | 'MSL' | 'OpenCL C';
  toolchain: 'g++' | 'nvcc' | 'hipcc' | 'glslang' | 'xcrun metal' | 'none';
  /** Library file extension the target produces. */
  extension: string;
  built: boolean;
}

export const TARGETS: TargetSpec[] = [
  { name: 'cpu', aliases: ['llvm', 'cpu:native', 'cpu:portable', 'cpu:avx512'], language: 'C++', toolchain: 'g++', extension: '.so', built: true },
  CUDA_TARGET,
  { name: 'rocm', aliases: [], language: 'HIP', toolchain: 'hipcc', extension: '.so', built: false },
  { name: 'vulkan', aliases: ['vulkan:generic'], language: 'GLSL', toolchain: 'glslang', extension: '.so', built: false },
  { name: 'metal', aliases: ['metal:generic', 'metal:x86-64'], language: 'MSL', toolchain: 'xcrun metal', extension: '.dylib', built: false },
  WEBGPU_TARGET,
  { name: 'iphone', aliases: ['iphone:generic', 'macabi'], language: 'MSL', toolchain: 'xcrun metal', extension: '.tar', built: false },
  { name: 'android', aliases: ['android:generic', 'android:adreno', 'android:adreno-so', 'opencl', 'opencl:generic', 'mali:generic'], language: 'OpenCL C', toolchain: 'none', extension: '.tar', built: false },
];

export interface ResolvedDevice {
  target: TargetSpec;
  /**
   * cpu: 'portable' (default: x86-64 with AVX2/FMA/F16C when this host has them), 'native'
   * (-march=native, this machine only) or 'avx512' (AVX-512 F/BW/VL/DQ/VNNI for AVX-512 fleets).
   */
  variant: 'native' | 'portable' | 'avx512';
}

export function resolveDevice(device: string): ResolvedDevice {
  const d = device.trim().toLowerCase();
  const base = d.startsWith('cuda') ? 'cuda' : d; // cuda, cuda:0, cuda:sm_90 -> the cuda target (its own grammar)
  const target = TARGETS.find((t) => t.name === base || t.aliases.includes(base));
  if (!target) {
    throw new NxMlcError(`unknown --device "${device}"`, {
      field: 'device',
      fix: `use one of: ${TARGETS.flatMap((t) => [t.name, ...t.aliases]).join(', ')}`,
    });
  }
  if (!target.built) {
    throw new NxMlcError(`the ${target.name} target is not built yet (${target.language} via ${target.toolchain} is planned); nothing was written`, {
      field: 'device',
      fix: `compile for a built target (${TARGETS.filter((t) => t.built).map((t) => t.name).join(', ')}), or use MLC-LLM's own \`mlc_llm compile\` for ${target.name}`,
    });
  }
  return { target, variant: base === 'cpu:native' ? 'native' : base === 'cpu:avx512' ? 'avx512' : 'portable' };
}
