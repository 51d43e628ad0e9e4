import * as path from 'node:path';
import { NxMlcError } from '../support/errors';
import { referenceConfigFrom } from './archs';
import { ReferenceModel } from './model';
import { LogicalParam, ParamSource } from './param-source';
import { HfAsMlcParams } from './test-support/hf-as-mlc';
import { deriveModelConfig } from '../arch/model-config';
import { getArch } from '../arch/registry';
import { readHfConfig } from '../hf/config';

/** ReferenceModel's handling of bad weights and bad tokens, on the hf-tiny llama checkpoint. */

const DIR = path.resolve(__dirname, '../../fixtures/hf-tiny/llama');
const hf = readHfConfig(DIR);
const cfg = referenceConfigFrom('llama', deriveModelConfig(getArch('llama'), hf.raw, {}).modelConfig);
const real = new HfAsMlcParams(DIR, 'llama');

/** The real weights with one parameter removed or replaced. */
function tampered(name: string, replace?: LogicalParam): ParamSource {
  return {
    has: (n) => (n === name ? replace !== undefined : real.has(n)),
    get: (n) => (n === name && replace ? replace : real.get(n)),
  };
}

it('the test adapter serves exactly the MLC names of a llama checkpoint', () => {
  const names = real.names().sort();
  expect(names).toContain('model.layers.1.self_attn.qkv_proj.weight');
  expect(names).toContain('model.layers.0.mlp.gate_up_proj.weight');
  expect(names.some((n) => /\.(q|k|v|gate|up)_proj\./.test(n))).toBe(false);
  expect(real.get('model.layers.0.self_attn.qkv_proj.weight').shape).toEqual([(4 + 2 + 2) * 16, 64]);
});

it('a missing parameter is an NxMlcError naming it', () => {
  expect(() => new ReferenceModel(cfg, tampered('model.layers.1.mlp.down_proj.weight'))).toThrow(NxMlcError);
  expect(() => new ReferenceModel(cfg, tampered('model.layers.1.mlp.down_proj.weight'))).toThrow(/model\.layers\.1\.mlp\.down_proj\.weight/);
});

it('a parameter of the wrong shape is an NxMlcError giving both shapes', () => {
  const bad = { shape: [64, 32], data: new Float32Array(64 * 32) };
  expect(() => new ReferenceModel(cfg, tampered('model.layers.0.self_attn.o_proj.weight', bad))).toThrow(/o_proj.*\[64, 32\].*\[64, 64\]/);
  const wrongRows = { shape: [100, 64], data: new Float32Array(6400) };
  expect(() => new ReferenceModel(cfg, tampered('model.layers.0.self_attn.qkv_proj.weight', wrongRows))).toThrow(/\[100, 64\].*\[128, 64\]/);
});

it('token ids outside the vocabulary are rejected', () => {
  const m = new ReferenceModel(cfg, real);
  expect(() => m.prefill([1, 512])).toThrow(/outside the vocabulary/);
  expect(() => m.prefill([])).toThrow(NxMlcError);
});

it('reset() forgets the cache: the same prompt gives the same logits again', () => {
  const m = new ReferenceModel(cfg, real);
  const a = m.prefill([5, 6, 7]);
  expect(m.position).toBe(3);
  const b = m.prefill([5, 6, 7]); // continues: positions 3..5, different context
  m.reset();
  const c = m.prefill([5, 6, 7]);
  expect(Array.from(c)).toEqual(Array.from(a));
  expect(Array.from(b)).not.toEqual(Array.from(a));
});
