import { NxMlcError } from '../support/errors';

/**
 * The quantization schemes convert-weight can produce, as data (spec mlc-format.md §5.1).
 * Adding a scheme is adding a row; the arithmetic lives in ./group-kernel.ts.
 */

/** The dtype the model computes in; every non-quantized parameter is stored in it. */
export type ModelDtype = 'float16' | 'bfloat16' | 'float32';

export interface NoQuantization {
  name: string;
  kind: 'no-quant';
  modelDtype: ModelDtype;
}

export interface GroupQuantization {
  name: string;
  kind: 'group-quant';
  modelDtype: ModelDtype;
  groupSize: number;
  /** bits per quantized element (int3 / int4) */
  bits: number;
  /** elements packed in one uint32 storage word = floor(32 / bits) */
  elemsPerWord: number;
  /** storage words per group = groupSize / elemsPerWord */
  wordsPerGroup: number;
  /** 2^(bits-1) - 1 */
  maxInt: number;
  /** NK keeps [N, K] (q?f16_1); KN transposes linear outputs to [K', N] (q?f16_0). Embeddings are never transposed. */
  layout: 'NK' | 'KN';
  quantizeEmbedding: boolean;
  quantizeFinalFc: boolean;
}

/**
 * Pre-quantized AutoAWQ checkpoints (spec §5.4): linear layers' qweight/qzeros/scales are copied bit for bit
 * (fused q/k/v and gate/up concatenated along the output axis); everything else is cast to the model dtype.
 */
export interface AwqQuantization {
  name: string;
  kind: 'awq';
  modelDtype: 'float16';
  groupSize: number;
  bits: number;
}

export type Quantization = NoQuantization | GroupQuantization | AwqQuantization;

function group(name: string, bits: number, groupSize: number, modelDtype: ModelDtype, layout: 'NK' | 'KN', quantizeEmbedAndHead = true): GroupQuantization {
  const elemsPerWord = Math.floor(32 / bits);
  return {
    name,
    kind: 'group-quant',
    modelDtype,
    groupSize,
    bits,
    elemsPerWord,
    wordsPerGroup: groupSize / elemsPerWord,
    maxInt: 2 ** (bits - 1) - 1,
    layout,
    quantizeEmbedding: quantizeEmbedAndHead,
    quantizeFinalFc: quantizeEmbedAndHead,
  };
}

const SCHEMES: Quantization[] = [
  { name: 'q0f16', kind: 'no-quant', modelDtype: 'float16' },
  { name: 'q0bf16', kind: 'no-quant', modelDtype: 'bfloat16' },
  { name: 'q0f32', kind: 'no-quant', modelDtype: 'float32' },
  group('q3f16_0', 3, 40, 'float16', 'KN'),
  group('q3f16_1', 3, 40, 'float16', 'NK'),
  group('q4f16_0', 4, 32, 'float16', 'KN'),
  group('q4f16_1', 4, 32, 'float16', 'NK'),
  group('q4bf16_0', 4, 32, 'bfloat16', 'KN'),
  group('q4bf16_1', 4, 32, 'bfloat16', 'NK'),
  group('q4f32_1', 4, 32, 'float32', 'NK'),
  group('q4f16_2', 4, 32, 'float16', 'NK', false),
  { name: 'q4f16_autoawq', kind: 'awq', modelDtype: 'float16', groupSize: 128, bits: 4 },
];

const BY_NAME = new Map(SCHEMES.map((s) => [s.name, s]));

export const QUANTIZATION_NAMES: readonly string[] = SCHEMES.map((s) => s.name);

export function getQuantization(name: string): Quantization {
  const q = BY_NAME.get(name);
  if (!q) {
    throw new NxMlcError(`Unknown quantization "${name}"`, {
      field: 'quantization',
      fix: `Use one of: ${QUANTIZATION_NAMES.join(', ')}.`,
    });
  }
  return q;
}
