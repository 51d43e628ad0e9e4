import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildWeightMapping, MAPPED_MODEL_TYPES } from './registry';

const TINY = path.join(__dirname, '..', '..', '..', 'fixtures', 'hf-tiny');
const config = (f: string) => JSON.parse(fs.readFileSync(path.join(TINY, f, 'config.json'), 'utf8'));
const names = (modelType: string, cfg: Record<string, unknown>) => buildWeightMapping(modelType, cfg, 'config.json').params;

/** Spec §6.2, restated: the MLC names of one llama-style layer. */
const llamaLayer = (i: number) =>
  ['self_attn.qkv_proj.weight', 'self_attn.o_proj.weight', 'mlp.gate_up_proj.weight', 'mlp.down_proj.weight', 'input_layernorm.weight', 'post_attention_layernorm.weight'].map((n) => `model.layers.${i}.${n}`);

describe('HF → MLC parameter names (spec §6.2)', () => {
  test('covers the gen-config architectures', () => {
    expect([...MAPPED_MODEL_TYPES].sort()).toEqual(['gemma', 'gemma2', 'gemma3_text', 'llama', 'mistral', 'phi3', 'qwen2', 'qwen3']);
  });
  test('llama: fused qkv and gate_up; lm_head unless tied', () => {
    expect(names('llama', config('llama')).map((p) => p.name)).toEqual(['model.embed_tokens.weight', ...llamaLayer(0), ...llamaLayer(1), 'model.norm.weight', 'lm_head.weight']);
    expect(names('llama', config('llama-tied')).map((p) => p.name)).not.toContain('lm_head.weight');
    const qkv = names('llama', config('llama'))[1];
    expect(qkv.sources.map((s) => `${s.name}:${s.shape}`)).toEqual([
      'model.layers.0.self_attn.q_proj.weight:64,64', 'model.layers.0.self_attn.k_proj.weight:32,64', 'model.layers.0.self_attn.v_proj.weight:32,64',
    ]);
  });
  test('mistral always has lm_head', () => {
    expect(names('mistral', { ...config('mistral'), tie_word_embeddings: true }).map((p) => p.name)).toContain('lm_head.weight');
  });
  test('qwen2: c_attn with concatenated q/k/v biases', () => {
    const ps = names('qwen2', config('qwen2'));
    const bias = ps.find((p) => p.name === 'model.layers.1.self_attn.c_attn.bias')!;
    expect(bias.kind).toBe('plain');
    expect(bias.sources.map((s) => `${s.name}:${s.shape}`)).toEqual(['model.layers.1.self_attn.q_proj.bias:64', 'model.layers.1.self_attn.k_proj.bias:32', 'model.layers.1.self_attn.v_proj.bias:32']);
    expect(ps.map((p) => p.name)).not.toContain('lm_head.weight'); // tied fixture
  });
  test('qwen3: head_dim-sized q/k norms, c_attn bias only with attention_bias', () => {
    const ps = names('qwen3', config('qwen3'));
    expect(ps.find((p) => p.name === 'model.layers.0.self_attn.q_norm.weight')!.sources[0].shape).toEqual([32]);
    expect(ps.find((p) => p.name === 'model.layers.0.self_attn.c_attn.weight')!.sources[0].shape).toEqual([128, 64]);
    expect(ps.some((p) => p.name.endsWith('c_attn.bias'))).toBe(false);
    expect(names('qwen3', { ...config('qwen3'), attention_bias: true }).some((p) => p.name === 'model.layers.1.self_attn.c_attn.bias')).toBe(true);
  });
  test('gemma / gemma2: +1 on every RMSNorm, no lm_head', () => {
    const g = names('gemma', { ...config('gemma2'), model_type: 'gemma' });
    expect(g.filter((p) => p.plusOne).map((p) => p.name)).toEqual([
      'model.layers.0.input_layernorm.weight', 'model.layers.0.post_attention_layernorm.weight',
      'model.layers.1.input_layernorm.weight', 'model.layers.1.post_attention_layernorm.weight', 'model.norm.weight',
    ]);
    const g2 = names('gemma2', config('gemma2'));
    expect(g2.filter((p) => p.plusOne).map((p) => p.name.replace(/^model\.layers\.\d\./, ''))).toEqual([
      'input_layernorm.weight', 'post_attention_layernorm.weight', 'pre_feedforward_layernorm.weight', 'post_feedforward_layernorm.weight',
      'input_layernorm.weight', 'post_attention_layernorm.weight', 'pre_feedforward_layernorm.weight', 'post_feedforward_layernorm.weight',
      'model.norm.weight',
    ]);
    expect(g2.some((p) => p.name === 'lm_head.weight')).toBe(false);
    expect(g2.every((p) => !p.plusOne || p.kind === 'plain')).toBe(true);
  });
  test('gemma3_text: language_model. prefix, separate q/k/v, +1 on q/k norms too', () => {
    const ps = names('gemma3_text', { ...config('gemma2'), model_type: 'gemma3_text' });
    expect(ps[0].name).toBe('language_model.model.embed_tokens.weight');
    expect(ps[0].sources[0].name).toBe('model.embed_tokens.weight');
    const l0 = ps.filter((p) => p.name.startsWith('language_model.model.layers.0.')).map((p) => `${p.name.slice('language_model.model.layers.0.'.length)}${p.plusOne ? '+1' : ''}`);
    expect(l0).toEqual([
      'self_attn.q_proj.weight', 'self_attn.k_proj.weight', 'self_attn.v_proj.weight', 'self_attn.o_proj.weight',
      'self_attn.q_norm.weight+1', 'self_attn.k_norm.weight+1', 'mlp.gate_up_proj.weight', 'mlp.down_proj.weight',
      'input_layernorm.weight+1', 'post_attention_layernorm.weight+1', 'pre_feedforward_layernorm.weight+1', 'post_feedforward_layernorm.weight+1',
    ]);
    expect(ps[ps.length - 1]).toMatchObject({ name: 'language_model.model.norm.weight', plusOne: true });
  });
  test('phi3: transformer.* renames of the already-fused checkpoint', () => {
    const ps = names('phi3', config('phi3'));
    expect(ps.map((p) => `${p.name}<-${p.sources.map((s) => s.name).join('+')}`)).toEqual([
      'transformer.embd.weight<-model.embed_tokens.weight',
      ...[0, 1].flatMap((i) => [
        `transformer.h.${i}.ln.weight<-model.layers.${i}.input_layernorm.weight`,
        `transformer.h.${i}.mixer.qkv_proj.weight<-model.layers.${i}.self_attn.qkv_proj.weight`,
        `transformer.h.${i}.mixer.out_proj.weight<-model.layers.${i}.self_attn.o_proj.weight`,
        `transformer.h.${i}.mlp.gate_up_proj.weight<-model.layers.${i}.mlp.gate_up_proj.weight`,
        `transformer.h.${i}.mlp.down_proj.weight<-model.layers.${i}.mlp.down_proj.weight`,
        `transformer.h.${i}.post_attention_layernorm.weight<-model.layers.${i}.post_attention_layernorm.weight`,
      ]),
      'transformer.norm.weight<-model.norm.weight',
      'lm_head.weight<-lm_head.weight',
    ]);
  });
  test('errors name the config field', () => {
    expect(() => buildWeightMapping('gpt2', {}, 'c.json')).toThrow(/no weight mapping for model type "gpt2"[\s\S]*field: model_type/);
    expect(() => buildWeightMapping('llama', { ...config('llama'), hidden_size: undefined }, 'c.json')).toThrow(/no "hidden_size"[\s\S]*field: hidden_size/);
    expect(() => buildWeightMapping('llama', { ...config('llama'), attention_bias: true }, 'c.json')).toThrow(/"attention_bias": true[\s\S]*field: attention_bias/);
  });
});
