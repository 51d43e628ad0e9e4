import { Sampler, sampleFromProbs, seededRandom, softmax } from './sampler';

const greedy = { temperature: 0, top_p: 1, repetition_penalty: 1, presence_penalty: 0, frequency_penalty: 0 };

describe('Sampler', () => {
  it('temperature 0 is argmax, and ids at or beyond active_vocab_size never come out', () => {
    const s = new Sampler(greedy, 3);
    expect(s.sample(Float32Array.from([0.1, 0.9, 0.3, 50]))).toBe(1);
    const full = new Sampler(greedy, 4);
    expect(full.sample(Float32Array.from([0.1, 0.9, 0.3, 50]))).toBe(3);
  });

  it('applies presence/frequency then repetition penalties to generated tokens only (MLC order)', () => {
    const s = new Sampler({ ...greedy, repetition_penalty: 2, presence_penalty: 0.5, frequency_penalty: 0.25 }, 3);
    s.accept(0);
    s.accept(1);
    s.accept(1);
    // token 0: (2 - 0.5 - 0.25) / 2 = 0.625; token 1: (-2 - 0.5 - 2*0.25) * 2 = -6; token 2 untouched.
    expect(Array.from(s.processLogits(Float32Array.from([2, -2, 1])))).toEqual([0.625, -6, 1]);
    s.resetHistory();
    expect(Array.from(s.processLogits(Float32Array.from([2, -2, 1])))).toEqual([2, -2, 1]);
  });

  it('repetition penalty can change the greedy choice', () => {
    const s = new Sampler({ ...greedy, repetition_penalty: 1.5 }, 2);
    const logits = Float32Array.from([3, 2.5]);
    expect(s.sample(logits)).toBe(0);
    s.accept(0); // 3 / 1.5 = 2 < 2.5
    expect(s.sample(logits)).toBe(1);
  });

  it('top-p keeps the smallest prefix reaching the mass and renormalises within it', () => {
    const p = Float64Array.from([0.1, 0.5, 0.3, 0.1]);
    // kept {1: 0.5, 2: 0.3}, mass 0.8: u=0.6 → 0.48 < 0.5 → 1; u=0.7 → 0.56 → 2; nothing else can come out.
    expect(sampleFromProbs(p, 0.7, 0.6)).toBe(1);
    expect(sampleFromProbs(p, 0.7, 0.7)).toBe(2);
    expect(sampleFromProbs(p, 0.7, 0.999)).toBe(2);
    expect(sampleFromProbs(p, 1, 0.05)).toBe(0);
    expect(sampleFromProbs(p, 1, 0.95)).toBe(3);
  });

  it('samples softmax(logits / T) with the expected frequencies', () => {
    // logits [0, ln 3] at T=1 → p = [0.25, 0.75]; at T=2 → [1/(1+√3), √3/(1+√3)] ≈ [0.366, 0.634].
    for (const [T, p1] of [[1, 0.75], [2, Math.sqrt(3) / (1 + Math.sqrt(3))]]) {
      const s = new Sampler({ ...greedy, temperature: T }, 2, 42);
      let ones = 0;
      const N = 20000;
      for (let i = 0; i < N; i++) ones += s.sample(Float32Array.from([0, Math.log(3)]));
      expect(Math.abs(ones / N - p1)).toBeLessThan(0.015);
    }
    expect(Array.from(softmax(Float64Array.from([0, Math.log(3)]), 1)).map((v) => +v.toFixed(12))).toEqual([0.25, 0.75]);
  });

  it('is reproducible for a seed and differs across seeds', () => {
    const draw = (seed: number) => {
      const s = new Sampler({ ...greedy, temperature: 1 }, 16, seed);
      const logits = new Float32Array(16);
      return Array.from({ length: 32 }, () => s.sample(logits));
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    const r = seededRandom(1);
    for (let i = 0; i < 1000; i++) {
      const u = r();
      expect(u >= 0 && u < 1).toBe(true);
    }
  });
});
