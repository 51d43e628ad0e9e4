import * as fs from 'node:fs';
import * as path from 'node:path';
import { TensorRef } from '../hf/tensor-ref';
import { buildWeightMapping } from '../arch/mappings/registry';
import { getQuantization } from '../quant/registry';
import { buildConvertPlan, CheckpointView } from './plan';

const ROOT = path.join(__dirname, '..', '..');

/** A checkpoint made of headers only: plans never read tensor bytes. */
function view(files: Record<string, [string, number[]][]>): CheckpointView {
  const refs = new Map<string, TensorRef>();
  const weightMap: { name: string; file: string }[] = [];
  for (const [file, tensors] of Object.entries(files)) {
    for (const [name, shape] of tensors) {
      refs.set(name, { name, dtype: 'BF16', shape, file, offset: 0, byteLength: shape.reduce((a, b) => a * b, 1) * 2 });
      weightMap.push({ name, file });
    }
  }
  return { weightMap, tensor: (n) => refs.get(n)! };
}

describe('Llama-3.2-1B shapes (spec §6.3)', () => {
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench/configs/llama-3.2-1b.json'), 'utf8'));
  const H = 2048, I = 8192, V = 128256;
  const tensors: [string, number[]][] = [['model.embed_tokens.weight', [V, H]], ['model.norm.weight', [H]]];
  for (let i = 0; i < 16; i++) {
    const p = `model.layers.${i}`;
    tensors.push(
      [`${p}.self_attn.q_proj.weight`, [2048, H]], [`${p}.self_attn.k_proj.weight`, [512, H]], [`${p}.self_attn.v_proj.weight`, [512, H]],
      [`${p}.self_attn.o_proj.weight`, [H, 2048]], [`${p}.mlp.gate_proj.weight`, [I, H]], [`${p}.mlp.up_proj.weight`, [I, H]],
      [`${p}.mlp.down_proj.weight`, [H, I]], [`${p}.input_layernorm.weight`, [H]], [`${p}.post_attention_layernorm.weight`, [H]],
    );
  }
  const ckpt = view({ 'model.safetensors': tensors });
  const shapes = (q: string) => {
    const plan = buildConvertPlan(ckpt, buildWeightMapping('llama', config, 'config.json'), getQuantization(q), 'config.json');
    return new Map(plan.params.flatMap((p) => p.outputs.map((o) => [o.name, `${o.dtype}[${o.shape.join(',')}]`] as const)));
  };
  test('q4f16_1', () => {
    const s = shapes('q4f16_1');
    expect(s.get('model.embed_tokens.q_weight')).toBe('uint32[128256,256]');
    expect(s.get('model.embed_tokens.q_scale')).toBe('float16[128256,64]');
    expect(s.get('model.layers.3.self_attn.qkv_proj.q_weight')).toBe('uint32[3072,256]');
    expect(s.get('model.layers.3.self_attn.qkv_proj.q_scale')).toBe('float16[3072,64]');
    expect(s.get('model.layers.0.self_attn.o_proj.q_weight')).toBe('uint32[2048,256]');
    expect(s.get('model.layers.0.self_attn.o_proj.q_scale')).toBe('float16[2048,64]');
    expect(s.get('model.layers.15.mlp.gate_up_proj.q_weight')).toBe('uint32[16384,256]');
    expect(s.get('model.layers.15.mlp.gate_up_proj.q_scale')).toBe('float16[16384,64]');
    expect(s.get('model.layers.15.mlp.down_proj.q_weight')).toBe('uint32[2048,1024]');
    expect(s.get('model.layers.15.mlp.down_proj.q_scale')).toBe('float16[2048,256]');
    expect(s.get('model.layers.0.input_layernorm.weight')).toBe('float16[2048]');
    expect(s.get('model.norm.weight')).toBe('float16[2048]');
    expect(s.has('lm_head.q_weight')).toBe(false); // tied
    expect(s.size).toBe(2 + 16 * 10 + 1);
  });
  test('q4f16_0 transposes linears but not the embedding', () => {
    const s = shapes('q4f16_0');
    expect(s.get('model.layers.0.self_attn.qkv_proj.q_weight')).toBe('uint32[256,3072]');
    expect(s.get('model.layers.0.self_attn.qkv_proj.q_scale')).toBe('float16[64,3072]');
    expect(s.get('model.embed_tokens.q_weight')).toBe('uint32[128256,256]');
  });
  test('q4f16_2 keeps the (tied) embedding in fp16; q0f32 declares float32', () => {
    expect(shapes('q4f16_2').get('model.embed_tokens.weight')).toBe('float16[128256,2048]');
    expect(shapes('q0f32').get('model.layers.0.mlp.gate_up_proj.weight')).toBe('float32[16384,2048]');
  });
});

describe('emission order and BitsPerParam replay (spec §4.5, §4.6)', () => {
  const config = { model_type: 'llama', hidden_size: 64, intermediate_size: 192, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 512 };
  const p = 'model.layers.0';
  // A fused parameter spanning files forces loads and unloads; numbers worked out by hand below.
  const ckpt = view({
    A: [[`${p}.self_attn.q_proj.weight`, [64, 64]], [`${p}.mlp.gate_proj.weight`, [192, 64]], ['model.embed_tokens.weight', [512, 64]]],
    B: [[`${p}.self_attn.k_proj.weight`, [32, 64]], [`${p}.self_attn.v_proj.weight`, [32, 64]], [`${p}.mlp.down_proj.weight`, [64, 192]], [`${p}.input_layernorm.weight`, [64]], [`${p}.self_attn.rotary_emb.inv_freq`, [8]]],
    C: [[`${p}.mlp.up_proj.weight`, [192, 64]], [`${p}.self_attn.o_proj.weight`, [64, 64]], [`${p}.post_attention_layernorm.weight`, [64]], ['model.norm.weight', [64]], ['lm_head.weight', [512, 64]]],
  });
  const plan = buildConvertPlan(ckpt, buildWeightMapping('llama', config, 'config.json'), getQuantization('q0f16'), 'config.json');
  test('a parameter is emitted at the first of its sources, files in first-appearance order', () => {
    expect(plan.params.map((x) => x.spec.name)).toEqual([
      `${p}.self_attn.qkv_proj.weight`, `${p}.mlp.gate_up_proj.weight`, 'model.embed_tokens.weight', `${p}.mlp.down_proj.weight`,
      `${p}.input_layernorm.weight`, `${p}.self_attn.o_proj.weight`, `${p}.post_attention_layernorm.weight`, 'model.norm.weight', 'lm_head.weight',
    ]);
    expect(plan.unused).toEqual([`${p}.self_attn.rotary_emb.inv_freq`]);
  });
  test('total_param_num counts every (re)load of a file, without unused tensors', () => {
    // qkv loads A+B; gate_up unloads B, loads C; down unloads A,C, loads B; o_proj unloads B, loads C
    const A = 4096 + 12288 + 32768, B = 2048 + 2048 + 12288 + 64, C = 12288 + 4096 + 64 + 64 + 32768;
    expect(plan.totalParamNum).toBe(A + 2 * B + 2 * C);
    expect(plan.paramBytes).toBe(2 * (128 * 64 + 384 * 64 + 512 * 64 + 64 * 192 + 64 + 64 * 64 + 64 + 64 + 512 * 64));
  });
});
