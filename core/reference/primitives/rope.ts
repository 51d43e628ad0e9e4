import { roundToBf16, roundToF16 } from '../../support/dtype';
import { RopeSpec } from '../config';

/**
 * Rotary position embeddings in HF's rotate_half layout: within the first `rotaryDim` dims of a head,
 * dim k pairs with dim k + rotaryDim/2. Frequencies follow transformers' `ROPE_INIT_FUNCTIONS`.
 */

/** Base frequencies theta^(-2k/rotaryDim), k < rotaryDim/2, in float64. */
export function ropeBaseInvFreq(theta: number, rotaryDim: number): Float64Array {
  const half = rotaryDim / 2;
  const inv = new Float64Array(half);
  for (let k = 0; k < half; k++) inv[k] = 1 / Math.pow(theta, (2 * k) / rotaryDim);
  return inv;
}

/**
 * llama3 scaling (HF `_compute_llama3_parameters`): long wavelengths (> original/lowFreqFactor) are divided
 * by `factor`, short ones (< original/highFreqFactor) kept, and the band between interpolates smoothly.
 */
export function llama3InvFreq(
  base: Float64Array,
  s: { factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number },
): Float64Array {
  const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositions / s.highFreqFactor;
  return base.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / s.factor;
    const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return (1 - smooth) * (f / s.factor) + smooth * f;
  });
}

/**
 * Inverse frequencies and the cos/sin multiplier for a forward call whose positions reach `seqLen - 1`.
 * Only longrope depends on it: like transformers (`longrope_frequency_update`), a call uses the long factors
 * for all its positions once seqLen exceeds the original context, the short ones otherwise; keys already in
 * a KV cache keep the rotation they were computed with.
 */
export function ropeInvFreq(spec: RopeSpec, seqLen = 1): { invFreq: Float64Array; attentionFactor: number } {
  const base = ropeBaseInvFreq(spec.theta, spec.rotaryDim);
  const s = spec.scaling;
  if (!s) return { invFreq: base, attentionFactor: 1 };
  switch (s.type) {
    case 'linear':
      return { invFreq: base.map((f) => f / s.factor), attentionFactor: 1 };
    case 'llama3':
      return { invFreq: llama3InvFreq(base, s), attentionFactor: 1 };
    case 'longrope': {
      const ext = seqLen > s.originalMaxPositions ? s.longFactor : s.shortFactor;
      return { invFreq: base.map((f, k) => f / ext[k]), attentionFactor: s.attentionFactor };
    }
  }
}

const ROUND_INV_FREQ = { float32: Math.fround, float16: roundToF16, bfloat16: roundToBf16 } as const;

/**
 * cos and sin (length rotaryDim/2) at one position, in a forward call reaching `seqLen` (default: this
 * position is the last; see ropeInvFreq). Like HF, the angle position·inv_freq is a float32 value and
 * inv_freq is stored in `spec.invFreqDtype` (float32 unless set; see RopeSpec).
 */
export function ropeCosSin(spec: RopeSpec, position: number, seqLen = position + 1): { cos: Float64Array; sin: Float64Array } {
  const { invFreq, attentionFactor } = ropeInvFreq(spec, seqLen);
  const round = ROUND_INV_FREQ[spec.invFreqDtype ?? 'float32'];
  const half = invFreq.length;
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let k = 0; k < half; k++) {
    const angle = Math.fround(round(invFreq[k]) * position);
    cos[k] = Math.fround(Math.cos(angle) * attentionFactor);
    sin[k] = Math.fround(Math.sin(angle) * attentionFactor);
  }
  return { cos, sin };
}

/** Rotate `numHeads` consecutive heads of `headDim` starting at `offset` of x, in place, with one position's cos/sin. */
export function applyRopeAt(
  x: Float32Array,
  offset: number,
  numHeads: number,
  headDim: number,
  cos: Float64Array,
  sin: Float64Array,
): void {
  const half = cos.length;
  for (let h = 0; h < numHeads; h++) {
    const o = offset + h * headDim;
    for (let k = 0; k < half; k++) {
      const x1 = x[o + k];
      const x2 = x[o + k + half];
      x[o + k] = x1 * cos[k] - x2 * sin[k];
      x[o + k + half] = x2 * cos[k] + x1 * sin[k];
    }
  }
}

/** RoPE over x [T, numHeads, headDim] with token t at positions[t], as one forward call; returns a new array. */
export function applyRope(
  x: Float32Array,
  tokens: number,
  numHeads: number,
  headDim: number,
  positions: ArrayLike<number>,
  spec: RopeSpec,
): Float32Array {
  const y = Float32Array.from(x);
  let seqLen = 0;
  for (let t = 0; t < tokens; t++) seqLen = Math.max(seqLen, positions[t] + 1);
  for (let t = 0; t < tokens; t++) {
    const { cos, sin } = ropeCosSin(spec, positions[t], seqLen);
    applyRopeAt(y, t * numHeads * headDim, numHeads, headDim, cos, sin);
  }
  return y;
}

