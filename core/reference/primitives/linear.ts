/**
 * y = x · Wᵀ (+ b) for row-major x [rows, inF] and W [outF, inF] (the torch/MLC weight layout).
 * Each dot product accumulates in float64 (JS numbers) and is stored once as float32.
 */
export function linear(
  x: Float32Array,
  rows: number,
  inFeatures: number,
  weight: Float32Array,
  outFeatures: number,
  bias: Float32Array | null = null,
): Float32Array {
  const y = new Float32Array(rows * outFeatures);
  for (let r = 0; r < rows; r++) {
    const xo = r * inFeatures;
    const yo = r * outFeatures;
    for (let o = 0; o < outFeatures; o++) {
      const wo = o * inFeatures;
      let acc = 0;
      for (let i = 0; i < inFeatures; i++) acc += x[xo + i] * weight[wo + i];
      y[yo + o] = bias ? acc + bias[o] : acc;
    }
  }
  return y;
}

/** Index of the largest value; the first one on ties (torch.argmax). NaN never wins. */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best] || Number.isNaN(v[best])) best = i;
  return best;
}
