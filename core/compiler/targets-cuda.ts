/**
 * The cuda target's entry for the target registry, and its `--device` grammar:
 *   cuda            -> sm_80, sm_86, sm_89, sm_90 (A100, A10/3090, L4/4090, H100)
 *   cuda:sm_90      -> only that architecture (faster builds)
 *   cuda:sm_80,sm_90
 *   cuda:0          -> a device index, as MLC spells it: the default architectures
 */
import { NxMlcError } from '../support/errors';
import type { TargetSpec } from './targets';

export const CUDA_TARGET: TargetSpec = { name: 'cuda', aliases: [], language: 'CUDA C++', toolchain: 'nvcc', extension: '.so', built: true };

export const DEFAULT_CUDA_ARCHS = ['sm_80', 'sm_86', 'sm_89', 'sm_90'];

/** Architectures nvcc 13 can target (`nvcc --list-gpu-code`, environment.md §2) that our kernels support (wmma needs sm_70+). */
export const SUPPORTED_CUDA_ARCHS = ['sm_75', 'sm_80', 'sm_86', 'sm_87', 'sm_89', 'sm_90', 'sm_90a', 'sm_100', 'sm_120'];

export function isCudaDevice(device: string): boolean {
  return /^cuda(:|$)/i.test(device.trim());
}

export function parseCudaDevice(device: string): { archs: string[] } {
  const d = device.trim().toLowerCase();
  if (!isCudaDevice(d)) throw new NxMlcError(`"${device}" is not a cuda device`, { field: 'device', fix: 'use cuda or cuda:sm_XX' });
  const rest = d.slice('cuda'.length).replace(/^:/, '');
  if (rest === '' || /^\d+$/.test(rest)) return { archs: [...DEFAULT_CUDA_ARCHS] };
  const archs = rest.split(',').map((a) => a.trim()).filter(Boolean);
  for (const a of archs) {
    if (!SUPPORTED_CUDA_ARCHS.includes(a)) {
      throw new NxMlcError(`unsupported CUDA architecture "${a}" in --device ${device}`, {
        field: 'device',
        fix: `use cuda (= ${DEFAULT_CUDA_ARCHS.join(',')}) or cuda:<arch>[,<arch>] with arch among ${SUPPORTED_CUDA_ARCHS.join(', ')}`,
      });
    }
  }
  return { archs };
}
