import { ArchSpec } from './types';
import { llama } from './llama';
import { mistral } from './mistral';
import { qwen2 } from './qwen2';
import { qwen3 } from './qwen3';
import { gemma } from './gemma';
import { gemma2 } from './gemma2';
import { gemma3Text } from './gemma3-text';
import { phi3 } from './phi3';
import { NxMlcError } from '../support/errors';

/** Every supported architecture. Adding one is adding a file and a line here. */
export const ARCHITECTURES: readonly ArchSpec[] = [llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3Text, phi3];

export const SUPPORTED_MODEL_TYPES = ARCHITECTURES.map((a) => a.modelType);

/** Find the architecture for an MLC model_type or a Hugging Face config `model_type`; undefined if unsupported. */
export function findArch(modelType: string): ArchSpec | undefined {
  return ARCHITECTURES.find((a) => a.modelType === modelType || a.hfModelTypes.includes(modelType));
}

export function getArch(modelType: string, file?: string): ArchSpec {
  const arch = findArch(modelType);
  if (!arch) {
    throw new NxMlcError(`Unsupported model_type "${modelType}"`, {
      file,
      field: 'model_type',
      fix: `Supported architectures: ${SUPPORTED_MODEL_TYPES.join(', ')}. Pass --model-type to force one if the checkpoint is a renamed variant.`,
    });
  }
  return arch;
}
