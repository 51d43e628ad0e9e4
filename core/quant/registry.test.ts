import { getQuantization, QUANTIZATION_NAMES } from './registry';

describe('quantization registry (spec §5.1)', () => {
  test('lists the issue\'s schemes', () => {
    expect([...QUANTIZATION_NAMES].sort()).toEqual(
      ['q0bf16', 'q0f16', 'q0f32', 'q3f16_0', 'q3f16_1', 'q4bf16_0', 'q4bf16_1', 'q4f16_0', 'q4f16_1', 'q4f16_2', 'q4f32_1', 'q4f16_autoawq'].sort(),
    );
  });
  test.each([
    // name, group, bits, elems/word, words/group, max_int, model dtype, layout, embed/lm_head quantized
    ['q3f16_0', 40, 3, 10, 4, 3, 'float16', 'KN', true],
    ['q3f16_1', 40, 3, 10, 4, 3, 'float16', 'NK', true],
    ['q4f16_0', 32, 4, 8, 4, 7, 'float16', 'KN', true],
    ['q4f16_1', 32, 4, 8, 4, 7, 'float16', 'NK', true],
    ['q4bf16_0', 32, 4, 8, 4, 7, 'bfloat16', 'KN', true],
    ['q4bf16_1', 32, 4, 8, 4, 7, 'bfloat16', 'NK', true],
    ['q4f32_1', 32, 4, 8, 4, 7, 'float32', 'NK', true],
    ['q4f16_2', 32, 4, 8, 4, 7, 'float16', 'NK', false],
  ])('%s', (name, groupSize, bits, elemsPerWord, wordsPerGroup, maxInt, modelDtype, layout, embed) => {
    expect(getQuantization(name)).toEqual({
      name, kind: 'group-quant', groupSize, bits, elemsPerWord, wordsPerGroup, maxInt, modelDtype, layout,
      quantizeEmbedding: embed, quantizeFinalFc: embed,
    });
  });
  test('no-quant schemes keep the model dtype', () => {
    expect(getQuantization('q0f16')).toEqual({ name: 'q0f16', kind: 'no-quant', modelDtype: 'float16' });
    expect(getQuantization('q0bf16').modelDtype).toBe('bfloat16');
    expect(getQuantization('q0f32').modelDtype).toBe('float32');
  });
  test('an unknown name is an error that lists the valid ones', () => {
    expect(() => getQuantization('q4f16')).toThrow(/Unknown quantization "q4f16"[\s\S]*field: quantization[\s\S]*q4f16_1/);
  });
});

test('q4f16_autoawq reads pre-quantized AutoAWQ checkpoints (spec §5.4)', () => {
  expect(getQuantization('q4f16_autoawq')).toEqual({ name: 'q4f16_autoawq', kind: 'awq', modelDtype: 'float16', groupSize: 128, bits: 4 });
});
