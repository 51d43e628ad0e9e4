/** Architectures the cpu compiler lowers, keyed by MLC model_type. Adding one is adding one file here. */
import type { Arch } from '../model-dims';
import { llama } from './llama';
import { qwen2, qwen3 } from './qwen';
import { gemma2 } from './gemma2';
import { phi3 } from './phi3';
import { NxMlcError } from '../../../support/errors';

const ARCHS: Arch[] = [llama, qwen2, qwen3, gemma2, phi3];

export const COMPILER_ARCHS: Record<string, Arch> = Object.fromEntries(ARCHS.flatMap((a) => a.modelTypes.map((t) => [t, a])));

export function compilerArch(modelType: string, file?: string): Arch {
  const a = COMPILER_ARCHS[modelType];
  if (!a) {
    throw new NxMlcError(`model_type "${modelType}" is not supported by the cpu compiler yet`, {
      file,
      field: 'model_type',
      fix: `supported: ${Object.keys(COMPILER_ARCHS).join(', ')}`,
    });
  }
  return a;
}
