import { readSafetensorsHeader } from '../../hf/safetensors';
import { readTensorBytes } from '../../hf/tensor-ref';

/** int64 tensor of a safetensors file as numbers (test helper for expected.safetensors files). */
export function readInt64Tensor(file: string, name: string): number[] {
  const ref = readSafetensorsHeader(file).tensors.find((t) => t.name === name);
  if (!ref) throw new Error(`${file} has no tensor ${name}`);
  const b = readTensorBytes(ref);
  return Array.from({ length: b.length / 8 }, (_, i) => Number(b.readBigInt64LE(i * 8)));
}
