import { RopeSpec } from './config';
import { erf, gelu, geluTanh, silu } from './primitives/activation';
import { attention, isVisible } from './primitives/attention';
import { argmax, linear } from './primitives/linear';
import { gatedMlp } from './primitives/mlp';
import { rmsNorm } from './primitives/rmsnorm';
import { applyRope, ropeCosSin, ropeInvFreq } from './primitives/rope';
import { softcap, softcapInPlace } from './primitives/softcap';

/** Every primitive against small cases worked out by hand (or from the published formula). */

const f32 = (xs: number[]): Float32Array => Float32Array.from(xs);

function expectClose(actual: ArrayLike<number>, expected: number[], digits = 5): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i]).toBeCloseTo(e, digits));
}

describe('linear', () => {
  it('computes x·Wᵀ + b row by row', () => {
    // x [2,3], W [2,3] (out=2), b [2]
    const y = linear(f32([1, 2, 3, -1, 0, 1]), 2, 3, f32([1, 0, 0, 1, 1, 1]), 2, f32([0.5, -0.5]));
    expectClose(y, [1.5, 5.5, -0.5, -0.5]);
  });

  it('argmax picks the first of equal maxima, like torch.argmax', () => {
    expect(argmax([0, 3, 1, 3])).toBe(1);
    expect(argmax(f32([-5, -2, -9]))).toBe(1);
  });
});

describe('rmsNorm', () => {
  it('divides by the root mean square and multiplies by the weight', () => {
    // mean(1,4,9,16) = 7.5 → 1/sqrt(7.5) = 0.3651483716701107
    const r = 0.3651483716701107;
    expectClose(rmsNorm(f32([1, 2, 3, 4]), f32([1, 1, 2, 0.5]), 1, 4, 0), [r, 2 * r, 6 * r, 2 * r], 6);
  });

  it('adds eps inside the square root and normalizes each row separately', () => {
    const y = rmsNorm(f32([3, 4, 0, 0]), f32([1, 1]), 2, 2, 0.5);
    // row 0: mean = 12.5, 1/sqrt(13) ; row 1: all zero stays zero
    expectClose(y, [3 / Math.sqrt(13), 4 / Math.sqrt(13), 0, 0], 6);
  });
});

describe('RoPE', () => {
  const plain: RopeSpec = { theta: 10000, rotaryDim: 4, scaling: null };

  it('base frequencies are theta^(-2k/d)', () => {
    expectClose(ropeInvFreq(plain).invFreq, [1, 0.01], 12);
  });

  it('rotates dim k with dim k + d/2 (rotate_half layout) by position·freq', () => {
    // head_dim 4: pairs (0,2) at freq 1 and (1,3) at freq 0.01; position 2 → angles 2 and 0.02
    const y = applyRope(f32([1, 0, 0, 0, 0, 1, 0, 0]), 2, 1, 4, [2, 2], plain);
    expectClose(y.subarray(0, 4), [Math.cos(2), 0, Math.sin(2), 0]);
    expectClose(y.subarray(4, 8), [0, Math.cos(0.02), 0, Math.sin(0.02)]);
  });

  it('position 0 is the identity', () => {
    const x = f32([0.3, -1, 2, 5]);
    expectClose(applyRope(x, 1, 1, 4, [0], plain), Array.from(x), 7);
  });

  it('partial rotary leaves the dims past rotaryDim untouched', () => {
    // head_dim 6, rotaryDim 4: dims 4,5 pass through
    const y = applyRope(f32([1, 0, 0, 0, 7, 8]), 1, 1, 6, [3], plain);
    expectClose(y, [Math.cos(3), 0, Math.sin(3), 0, 7, 8]);
  });

  it('llama3 scaling matches the published formula (theta 5e5, d 16, factor 8, low 1, high 4, original 64)', () => {
    // wavelength 2π/f: < 64/4 keep; > 64/1 divide by 8; between: (1-s)·f/8 + s·f, s = (64/λ - 1)/(4 - 1).
    // k=1: f = 0.19392274474868576, λ = 32.40 → s = 0.32510, result 0.0794030091792082 (worked in a calculator).
    const spec: RopeSpec = {
      theta: 500000,
      rotaryDim: 16,
      scaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 64 },
    };
    const expected = [1, 0.0794030091792082, 0.004700753866357992, 0.0009115830921521387, 0.00017677669529663688,
      3.428102195952591e-5, 6.647869871181235e-6, 1.2891731721515574e-6];
    const got = ropeInvFreq(spec).invFreq;
    expected.forEach((e, k) => expect(got[k] / e).toBeCloseTo(1, 12));
  });

  it('linear scaling divides every frequency', () => {
    const got = ropeInvFreq({ theta: 10000, rotaryDim: 4, scaling: { type: 'linear', factor: 8 } }).invFreq;
    expectClose(got, [1 / 8, 0.01 / 8], 12);
  });

  it('longrope: short factors while the call stays within the original context, long ones past it; scales cos/sin', () => {
    const spec: RopeSpec = {
      theta: 10000,
      rotaryDim: 4,
      scaling: { type: 'longrope', shortFactor: [1, 2], longFactor: [4, 8], originalMaxPositions: 10, attentionFactor: 1.5 },
    };
    expectClose(ropeInvFreq(spec, 10).invFreq, [1, 0.005], 12);
    expectClose(ropeInvFreq(spec, 11).invFreq, [0.25, 0.00125], 12);
    // a call reaching position 10 rotates its position 1 with the long factors too (transformers' rule)
    const x = f32([1, 0, 0, 0, 1, 0, 0, 0]);
    expect(applyRope(x, 2, 1, 4, [1, 10], spec)[0]).toBeCloseTo(1.5 * Math.cos(0.25), 6);
    expect(applyRope(x.subarray(0, 4), 1, 1, 4, [1], spec)[0]).toBeCloseTo(1.5 * Math.cos(1), 6);
    const { cos, sin } = ropeCosSin(spec, 4);
    expect(cos[0]).toBeCloseTo(1.5 * Math.cos(4), 6);
    expect(sin[1]).toBeCloseTo(1.5 * Math.sin(0.02), 6);
  });

  it('invFreqDtype rounds the frequencies as transformers\' dtype-cast buffer does', () => {
    // bf16(0.01) = 0.010009765625 (1.28125·2⁻⁷); at position 100 the angle is 1.0009765625, not 1.
    const { cos } = ropeCosSin({ ...plain, invFreqDtype: 'bfloat16' }, 100);
    expect(cos[1]).toBeCloseTo(Math.cos(1.0009765625), 6);
    expect(ropeCosSin(plain, 100).cos[1]).toBeCloseTo(Math.cos(1), 6);
  });
});

describe('attention', () => {
  // One head, d = 2, keys e0/e1, values (4,0) and (0,8); q = (ln 3, 0) scores ln3 and 0 → softmax 3/4, 1/4.
  const k = f32([1, 0, 0, 1]);
  const v = f32([4, 0, 0, 8]);
  const q = f32([Math.log(3), 0]);
  const one = { numHeads: 1, numKvHeads: 1, headDim: 2, scale: 1 };

  it('softmax-weights the values', () => {
    expectClose(attention(q, k, v, 1, 2, one), [3, 2]);
  });

  it('is causal: the first query sees only the first key', () => {
    const out = attention(f32([Math.log(3), 0, Math.log(3), 0]), k, v, 2, 2, one);
    expectClose(out, [4, 0, 3, 2]);
  });

  it('applies the scale before softmax', () => {
    // scale 2: scores 2·ln3, 0 → weights 9/10, 1/10
    expectClose(attention(q, k, v, 1, 2, { ...one, scale: 2 }), [3.6, 0.8]);
  });

  it('soft-caps scores: cap 1 turns ln 3 into tanh(ln 3) = 0.8', () => {
    const w = 1 / (1 + Math.exp(-0.8)); // sigmoid(0.8 - 0)
    expectClose(attention(q, k, v, 1, 2, { ...one, softcap: 1 }), [4 * w, 8 * (1 - w)]);
  });

  it('sliding window 1 keeps only the query\'s own position', () => {
    expectClose(attention(q, k, v, 1, 2, { ...one, slidingWindow: 1 }), [0, 8]);
  });

  it('grouped-query: two query heads share one kv head', () => {
    const q2 = f32([Math.log(3), 0, 0, Math.log(3)]); // head 0 prefers key 0, head 1 prefers key 1
    expectClose(attention(q2, k, v, 1, 2, { ...one, numHeads: 2 }), [3, 2, 1, 6]);
  });

  it('sliding-window mask: a window of W keeps the W most recent positions including the query', () => {
    const visible = [0, 1, 2, 3, 4, 5, 6].filter((j) => isVisible(5, j, 3));
    expect(visible).toEqual([3, 4, 5]);
    expect([0, 1, 2, 3, 4, 5, 6].filter((j) => isVisible(5, j, null))).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('gated MLP and activations', () => {
  it('down · (act(gate·x) ⊙ up·x) with gate rows before up rows', () => {
    // H=2, I=1: gate = x0 = 2, up = x1 = 3; silu(2) = 2/(1+e⁻²) = 1.7615941559557646
    const y = gatedMlp(f32([2, 3]), 1, 2, f32([1, 0, 0, 1]), f32([1, 2]), 1, 'silu');
    expectClose(y, [1.7615941559557646 * 3, 2 * 1.7615941559557646 * 3], 5);
  });

  it('activation values', () => {
    expect(silu(0)).toBe(0);
    expect(silu(2)).toBeCloseTo(1.7615941559557646, 12);
    expect(geluTanh(1)).toBeCloseTo(0.8411919906082768, 12);
    expect(gelu(1)).toBeCloseTo(0.8413447460685429, 12);
    expect(gelu(-2)).toBeCloseTo(-0.04550026389635842, 12);
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 13);
    expect(erf(3)).toBeCloseTo(0.9999779095030014, 13);
    expect(erf(-1.2)).toBeCloseTo(-0.9103139782296353, 13);
  });
});

describe('softcap', () => {
  it('is cap·tanh(x/cap): odd, bounded by the cap, near-identity for small x', () => {
    expect(softcap(0, 30)).toBe(0);
    expect(softcap(30, 30)).toBeCloseTo(30 * 0.7615941559557649, 10);
    expect(softcap(-30, 30)).toBeCloseTo(-30 * 0.7615941559557649, 10);
    expect(softcap(1e4, 50)).toBeCloseTo(50, 10);
    expect(softcap(0.01, 50)).toBeCloseTo(0.01, 6);
    expectClose(softcapInPlace(f32([0, 30]), 30), [0, 22.847824678672946], 5);
  });
});
