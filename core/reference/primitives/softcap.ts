/** Soft-capping (gemma2): cap · tanh(x / cap), squashing values into (-cap, cap). */
export function softcap(x: number, cap: number): number {
  return cap * Math.tanh(x / cap);
}

/** softcap over a whole array, in place; returns it for chaining. */
export function softcapInPlace(values: Float32Array, cap: number): Float32Array {
  for (let i = 0; i < values.length; i++) values[i] = softcap(values[i], cap);
  return values;
}
