import { readSafetensorsHeader } from '../../hf/safetensors';
import { readTensorF32 } from '../../hf/tensor-ref';

/** TEST-ONLY: the tensors of a fixture's expected.safetensors (input_ids, logits, greedy) as float32 + shapes. */
export function readExpected(file: string): Record<string, { shape: number[]; data: Float32Array }> {
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const t of readSafetensorsHeader(file).tensors) out[t.name] = { shape: t.shape, data: readTensorF32(t) };
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
