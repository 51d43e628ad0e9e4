import { Activation } from '../config';
import { gelu, geluTanh, silu } from './activation';
import { linear } from './linear';

const ACT: Record<Activation, (x: number) => number> = { silu, gelu_tanh: geluTanh, gelu };

/**
 * Gated MLP with MLC's fused weight: gateUp [2I, H] holds the gate rows then the up rows;
 * out = down · (act(gate·x) ⊙ up·x). x [rows, H] → [rows, H]. Both products are float32-stored
 * before the elementwise step, as in HF and MLC.
 */
export function gatedMlp(
  x: Float32Array,
  rows: number,
  hidden: number,
  gateUp: Float32Array,
  down: Float32Array,
  intermediate: number,
  activation: Activation,
): Float32Array {
  const gu = linear(x, rows, hidden, gateUp, 2 * intermediate);
  const act = ACT[activation];
  const h = new Float32Array(rows * intermediate);
  for (let r = 0; r < rows; r++) {
    const g = r * 2 * intermediate;
    for (let i = 0; i < intermediate; i++) h[r * intermediate + i] = Math.fround(act(gu[g + i])) * gu[g + intermediate + i];
  }
  return linear(h, rows, intermediate, down, hidden);
}
