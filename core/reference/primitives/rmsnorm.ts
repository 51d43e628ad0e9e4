/**
 * RMSNorm over the last axis of x [rows, n]: x / sqrt(mean(x²) + eps) * w, as HF computes it
 * (normalize in float32, then multiply by the weight). The weight is used as given: for gemma pass the
 * MLC-stored (1 + w). Sum of squares accumulates in float64.
 */
export function rmsNorm(x: Float32Array, weight: Float32Array, rows: number, n: number, eps: number): Float32Array {
  const y = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += x[o + i] * x[o + i];
    // HF rounds the normalized value to float32 before the weight multiply; keep that step.
    const inv = 1 / Math.sqrt(Math.fround(ss / n) + eps);
    for (let i = 0; i < n; i++) y[o + i] = Math.fround(x[o + i] * inv) * weight[i];
  }
  return y;
}
