import { defaultTolerance } from './tolerance';

it('default tolerances follow the quantization family (q0f32: 1e-3 and greedy required)', () => {
  expect(defaultTolerance('q0f32')).toEqual({ maxAbsLogitError: 1e-3, minArgmaxAgreement: 1, requireGreedyMatch: true });
  expect(defaultTolerance('q0f16').maxAbsLogitError).toBe(5e-2);
  expect(defaultTolerance('q0bf16').maxAbsLogitError).toBe(2e-1);
  expect(defaultTolerance('q4f16_1').maxAbsLogitError).toBe(defaultTolerance('q4bf16_0').maxAbsLogitError);
  expect(defaultTolerance('q3f16_1').maxAbsLogitError).toBeGreaterThan(defaultTolerance('q4f16_1').maxAbsLogitError);
});
