import * as fs from 'node:fs';
import { readSafetensorsHeader } from '../hf/safetensors';
import { readTensorBytes, readTensorF32, TensorRef } from '../hf/tensor-ref';
import { NxMlcError } from '../support/errors';

/**
 * A reference-output file for validate: safetensors with `input_ids` int64 [1,T], `logits` float32 [T,V]
 * and optionally `greedy` int64 [N] (the format of fixtures/hf-tiny/<arch>/expected.safetensors).
 */
export interface ReferenceOutputs {
  file: string;
  inputIds: number[];
  logits: Float32Array;
  vocabSize: number;
  greedy: number[] | null;
}

export function readReference(file: string): ReferenceOutputs {
  if (!fs.existsSync(file)) {
    throw new NxMlcError('The reference file does not exist', { file, fix: 'Pass a safetensors file with input_ids, logits (and greedy) to --reference.' });
  }
  const { tensors } = readSafetensorsHeader(file);
  const get = (name: string, dtype: string, rank: number, required: boolean): TensorRef | null => {
    const t = tensors.find((x) => x.name === name);
    if (!t) {
      if (!required) return null;
      throw new NxMlcError(`The reference file has no tensor ${name}`, {
        file,
        field: name,
        fix: 'A reference holds input_ids int64 [1,T], logits float32 [T,V] and optionally greedy int64 [N].',
      });
    }
    if (t.dtype !== dtype || t.shape.length !== rank) {
      throw new NxMlcError(`Reference tensor ${name} is ${t.dtype} ${JSON.stringify(t.shape)}, expected ${dtype} of rank ${rank}`, {
        file,
        field: name,
        fix: 'A reference holds input_ids int64 [1,T], logits float32 [T,V] and optionally greedy int64 [N].',
      });
    }
    return t;
  };
  const ids = get('input_ids', 'I64', 2, true)!;
  const logits = get('logits', 'F32', 2, true)!;
  const greedy = get('greedy', 'I64', 1, false);
  const int64 = (t: TensorRef): number[] => {
    const b = readTensorBytes(t);
    return Array.from({ length: b.length / 8 }, (_, i) => Number(b.readBigInt64LE(i * 8)));
  };
  if (ids.shape[0] !== 1 || logits.shape[0] !== ids.shape[1]) {
    throw new NxMlcError(`Reference shapes disagree: input_ids ${JSON.stringify(ids.shape)}, logits ${JSON.stringify(logits.shape)}`, {
      file,
      field: 'logits',
      fix: 'input_ids must be [1,T] and logits [T,V] for the same T.',
    });
  }
  return { file, inputIds: int64(ids), logits: readTensorF32(logits), vocabSize: logits.shape[1], greedy: greedy ? int64(greedy) : null };
}
