import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeSafetensors, TensorToWrite } from '../hf/safetensors';
import { f32ToF16 } from '../support/dtype';
import { convertWeight } from './convert';
import { dequantizeParam, loadMlcParams } from './load';
import { verifyWeights } from './verify';
import { readOutput } from './test-support/expected-output';

/**
 * AutoAWQ (spec §5.4) on a synthetic llama checkpoint in AutoAWQ's GEMM layout: packed tensors are copied
 * bit for bit, q/k/v and gate/up concatenated along axis 1 (the output dimension), the rest cast to fp16.
 */

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'awq-'))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const H = 128, I = 256, V = 64, D = 32, HEADS = 4, KV = 2;
let seed = 7;
const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), seed);

function i32(name: string, shape: number[]): TensorToWrite & { words: Int32Array } {
  const words = new Int32Array(shape[0] * shape[1]).map(() => rand() | 0);
  return { name, dtype: 'I32', shape, data: new Uint8Array(words.buffer), words };
}
function f16(name: string, shape: number[]): TensorToWrite {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name, dtype: 'F16', shape, data: new Uint8Array(new Uint16Array(n).map(() => f32ToF16(((rand() % 1000) - 500) / 4000)).buffer) };
}

function makeAwqCheckpoint(dir: string): Map<string, TensorToWrite & { words?: Int32Array }> {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    model_type: 'llama', hidden_size: H, intermediate_size: I, num_attention_heads: HEADS, num_key_value_heads: KV, head_dim: D,
    num_hidden_layers: 1, vocab_size: V, max_position_embeddings: 128, rms_norm_eps: 1e-5, tie_word_embeddings: false,
    quantization_config: { quant_method: 'awq', bits: 4, group_size: 128, version: 'gemm', zero_point: true },
  }));
  const ts: (TensorToWrite & { words?: Int32Array })[] = [f16('model.embed_tokens.weight', [V, H]), f16('lm_head.weight', [V, H]), f16('model.norm.weight', [H])];
  const p = 'model.layers.0';
  ts.push(f16(`${p}.input_layernorm.weight`, [H]), f16(`${p}.post_attention_layernorm.weight`, [H]));
  const lin = (name: string, k: number, n: number) => ts.push(i32(`${name}.qweight`, [k, n / 8]), i32(`${name}.qzeros`, [k / 128, n / 8]), f16(`${name}.scales`, [k / 128, n]));
  lin(`${p}.self_attn.q_proj`, H, HEADS * D);
  lin(`${p}.self_attn.k_proj`, H, KV * D);
  lin(`${p}.self_attn.v_proj`, H, KV * D);
  lin(`${p}.self_attn.o_proj`, HEADS * D, H);
  lin(`${p}.mlp.gate_proj`, H, I);
  lin(`${p}.mlp.up_proj`, H, I);
  lin(`${p}.mlp.down_proj`, I, H);
  writeSafetensors(path.join(dir, 'model.safetensors'), ts);
  return new Map(ts.map((t) => [t.name, t]));
}

/** Concatenate row-major [R, C_i] byte tables along axis 1, element size `item`. */
function concatAxis1(parts: TensorToWrite[], item: number): Buffer {
  const rows = parts[0].shape[0];
  const chunks: Buffer[] = [];
  for (let r = 0; r < rows; r++) for (const t of parts) chunks.push(Buffer.from(t.data).subarray(r * t.shape[1] * item, (r + 1) * t.shape[1] * item));
  return Buffer.concat(chunks);
}

test('q4f16_autoawq: names, order, shapes and bytes', async () => {
  const src = path.join(tmp, 'ckpt');
  const t = makeAwqCheckpoint(src);
  const out = path.join(tmp, 'out');
  await convertWeight({ source: src, quantization: 'q4f16_autoawq', sourceFormat: 'awq', output: out, threads: 1 });
  const got = readOutput(out);
  const p = 'model.layers.0';
  const trio = (n: string) => [`${n}.qweight`, `${n}.qzeros`, `${n}.scales`];
  // emission order follows the sorted safetensors names; a fused tensor appears at its first source (k_proj, gate_proj)
  expect(got.order).toEqual([
    'lm_head.weight', 'model.embed_tokens.weight', `${p}.input_layernorm.weight`, ...trio(`${p}.mlp.down_proj`), ...trio(`${p}.mlp.gate_up_proj`),
    `${p}.post_attention_layernorm.weight`, ...trio(`${p}.self_attn.qkv_proj`), ...trio(`${p}.self_attn.o_proj`), 'model.norm.weight',
  ]);
  const qkv = ['q_proj', 'k_proj', 'v_proj'].map((n) => `${p}.self_attn.${n}`);
  const gu = ['gate_proj', 'up_proj'].map((n) => `${p}.mlp.${n}`);
  const expectTensor = (name: string, shape: number[], dtype: string, bytes: Buffer) => {
    const g = got.tensors.get(name)!;
    expect({ name, shape: g.shape, dtype: g.dtype }).toEqual({ name, shape, dtype });
    expect(g.bytes.equals(bytes)).toBe(true);
  };
  expectTensor(`${p}.self_attn.qkv_proj.qweight`, [H, (HEADS + 2 * KV) * D / 8], 'uint32', concatAxis1(qkv.map((n) => t.get(`${n}.qweight`)!), 4));
  expectTensor(`${p}.self_attn.qkv_proj.qzeros`, [1, (HEADS + 2 * KV) * D / 8], 'uint32', concatAxis1(qkv.map((n) => t.get(`${n}.qzeros`)!), 4));
  expectTensor(`${p}.self_attn.qkv_proj.scales`, [1, (HEADS + 2 * KV) * D], 'float16', concatAxis1(qkv.map((n) => t.get(`${n}.scales`)!), 2));
  expectTensor(`${p}.mlp.gate_up_proj.qweight`, [H, 2 * I / 8], 'uint32', concatAxis1(gu.map((n) => t.get(`${n}.qweight`)!), 4));
  expectTensor(`${p}.mlp.gate_up_proj.scales`, [1, 2 * I], 'float16', concatAxis1(gu.map((n) => t.get(`${n}.scales`)!), 2));
  expectTensor(`${p}.mlp.down_proj.qzeros`, [2, H / 8], 'uint32', Buffer.from(t.get(`${p}.mlp.down_proj.qzeros`)!.data));
  expectTensor('lm_head.weight', [V, H], 'float16', Buffer.from(t.get('lm_head.weight')!.data)); // final fc stays fp16
  expectTensor('model.embed_tokens.weight', [V, H], 'float16', Buffer.from(t.get('model.embed_tokens.weight')!.data));
  expect(verifyWeights(out).ok).toBe(true);
});

test('AutoAWQ dequantization uses the interleaved nibble order and zero points', async () => {
  const src = path.join(tmp, 'ckpt2');
  const t = makeAwqCheckpoint(src);
  const name = 'model.layers.0.self_attn.o_proj';
  const qw = t.get(`${name}.qweight`)!.words!;
  const qz = t.get(`${name}.qzeros`)!.words!;
  // column n = 1 of row k = 0 lives at bit offset 16 of word 0 (order 0,16,4,20,8,24,12,28)
  qw[0] = 9 << 16;
  qz[0] = 8 << 16;
  const scales = new Uint16Array(t.get(`${name}.scales`)!.data.buffer);
  scales[1] = f32ToF16(0.5);
  writeSafetensors(path.join(src, 'model.safetensors'), [...t.values()]);
  const out = path.join(tmp, 'out2');
  await convertWeight({ source: src, quantization: 'q4f16_autoawq', sourceFormat: 'awq', output: out, threads: 1 });
  const w = dequantizeParam(loadMlcParams(out), `${name}.weight`, 'q4f16_autoawq');
  expect(w.shape).toEqual([H, HEADS * D]);
  expect(w.data[1 * (HEADS * D) + 0]).toBe((9 - 8) * 0.5); // w[n=1][k=0]
  expect(Math.abs(w.data[0])).toBe(0); // n=0: nibble 0 of both word 0s is 0 → (0 − 0) · s
});

test('AWQ needs both the source format and the scheme, and a model with an AWQ mapping', async () => {
  const src = path.join(tmp, 'ckpt3');
  makeAwqCheckpoint(src);
  await expect(convertWeight({ source: src, quantization: 'q4f16_autoawq', output: path.join(tmp, 'x') })).rejects.toThrow(/pass --source-format awq/);
  await expect(convertWeight({ source: src, quantization: 'q4f16_1', sourceFormat: 'awq', output: path.join(tmp, 'x') })).rejects.toThrow(/needs --quantization q4f16_autoawq/);
  await expect(convertWeight({ source: src, quantization: 'q4f16_autoawq', sourceFormat: 'awq', modelType: 'qwen2', output: path.join(tmp, 'x') })).rejects.toThrow(/AutoAWQ checkpoints of model type "qwen2" are not supported/);
});
