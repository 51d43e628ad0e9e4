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

it('sliding window: with one layer and window W, position p sees exactly tokens p-W+1..p (prefill and decode)', () => {
  // RoPE is relative, so a full-causal run on just the last W tokens must give the same last logits.
  const mistralDir = path.resolve(__dirname, '../../fixtures/hf-tiny/mistral');
  const mc = deriveModelConfig(getArch('mistral'), readHfConfig(mistralDir).raw, {}).modelConfig;
  const base = referenceConfigFrom('mistral', mc);
  const W = 4;
  const oneLayer = { ...base, numLayers: 1, layers: base.layers.slice(0, 1) };
  const windowed = { ...oneLayer, layers: [{ ...oneLayer.layers[0], slidingWindow: W }] };
  const params = new HfAsMlcParams(mistralDir, 'mistral');
  const slide = new ReferenceModel(windowed, params);
  const full = new ReferenceModel(oneLayer, params);
  const prompt = [17, 3, 99, 250, 8, 41, 77, 300, 5, 12];
  const close = (a: Float32Array, b: Float32Array): void => {
    let m = 0;
    a.forEach((x, i) => (m = Math.max(m, Math.abs(x - b[i]))));
    expect(m).toBeLessThan(1e-5);
  };
  close(slide.prefill(prompt), full.forwardAll(prompt.slice(-W)).subarray((W - 1) * base.vocabSize));
  close(slide.decode(64), full.forwardAll([...prompt, 64].slice(-W)).subarray((W - 1) * base.vocabSize));
  // …and the window really cuts: the full-context logits differ.
  full.reset();
  const everything = full.prefill(prompt);
  slide.reset();
  expect(Math.max(...Array.from(slide.prefill(prompt), (x, i) => Math.abs(x - everything[i])))).toBeGreaterThan(1e-3);
});
