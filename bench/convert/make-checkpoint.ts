/**
 * Writes a random-weight bf16 checkpoint shaped like a real model, as sharded safetensors + index, with the
 * project's own safetensors writer. Weights are uniform in ±0.05 (norms 1.0): fine for speed and memory
 * measurements, meaningless as a model.
 *
 *   node -r @swc-node/register bench/convert/make-checkpoint.ts bench/configs/qwen2.5-0.5b.json bench/.data/qwen2.5-0.5b
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeSafetensors, TensorToWrite } from '../../core/hf/safetensors';
import { f32ToBf16 } from '../../core/support/dtype';

/** HF layout of a llama/qwen2-family checkpoint from its config. */
export function tensorShapes(cfg: Record<string, number | boolean | string>): [string, number[]][] {
  const H = cfg.hidden_size as number, I = cfg.intermediate_size as number, L = cfg.num_hidden_layers as number;
  const heads = cfg.num_attention_heads as number, kv = (cfg.num_key_value_heads as number) ?? heads;
  const d = (cfg.head_dim as number) ?? H / heads, V = cfg.vocab_size as number;
  const qkvBias = cfg.model_type === 'qwen2';
  const out: [string, number[]][] = [['model.embed_tokens.weight', [V, H]]];
  for (let i = 0; i < L; i++) {
    const p = `model.layers.${i}`;
    out.push([`${p}.input_layernorm.weight`, [H]], [`${p}.post_attention_layernorm.weight`, [H]]);
    out.push([`${p}.self_attn.q_proj.weight`, [heads * d, H]], [`${p}.self_attn.k_proj.weight`, [kv * d, H]], [`${p}.self_attn.v_proj.weight`, [kv * d, H]]);
    if (qkvBias) out.push([`${p}.self_attn.q_proj.bias`, [heads * d]], [`${p}.self_attn.k_proj.bias`, [kv * d]], [`${p}.self_attn.v_proj.bias`, [kv * d]]);
    out.push([`${p}.self_attn.o_proj.weight`, [H, heads * d]], [`${p}.mlp.gate_proj.weight`, [I, H]], [`${p}.mlp.up_proj.weight`, [I, H]], [`${p}.mlp.down_proj.weight`, [H, I]]);
  }
  out.push(['model.norm.weight', [H]]);
  if (!cfg.tie_word_embeddings) out.push(['lm_head.weight', [V, H]]);
  return out;
}

function randomBf16(n: number, seed: number, isNorm: boolean): Uint8Array {
  const out = new Uint16Array(n);
  if (isNorm) return new Uint8Array(out.fill(f32ToBf16(1)).buffer);
  const table = new Uint16Array(65536);
  let s = seed >>> 0 || 1;
  const next = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), s >>> 0);
  for (let i = 0; i < table.length; i++) table[i] = f32ToBf16((next() / 4294967296 - 0.5) * 0.1);
  for (let i = 0; i < n; i++) out[i] = table[next() & 0xffff];
  return new Uint8Array(out.buffer);
}

export function makeCheckpoint(configFile: string, outDir: string, maxShardBytes = 1024 * 2 ** 20): void {
  const cfg = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  fs.mkdirSync(outDir, { recursive: true });
  const shapes = tensorShapes(cfg);
  const groups: [string, number[]][][] = [[]];
  let size = 0;
  for (const t of shapes) {
    const bytes = t[1].reduce((a, b) => a * b, 1) * 2;
    if (size + bytes > maxShardBytes && groups[groups.length - 1].length) {
      groups.push([]);
      size = 0;
    }
    groups[groups.length - 1].push(t);
    size += bytes;
  }
  const weightMap: Record<string, string> = {};
  let seed = 1;
  groups.forEach((g, gi) => {
    const file = `model-${String(gi + 1).padStart(5, '0')}-of-${String(groups.length).padStart(5, '0')}.safetensors`;
    const tensors: TensorToWrite[] = g.map(([name, shape]) => ({ name, dtype: 'BF16', shape, data: randomBf16(shape.reduce((a, b) => a * b, 1), seed++, name.includes('norm')) }));
    writeSafetensors(path.join(outDir, file), tensors);
    for (const [name] of g) weightMap[name] = file;
  });
  const sorted = Object.fromEntries(Object.keys(weightMap).sort().map((k) => [k, weightMap[k]]));
  fs.writeFileSync(path.join(outDir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: sorted }, null, 2));
  fs.copyFileSync(configFile, path.join(outDir, 'config.json'));
}

if (require.main === module) {
  const [config, out] = process.argv.slice(2);
  makeCheckpoint(config, out);
  console.log(`wrote ${out}`);
}
