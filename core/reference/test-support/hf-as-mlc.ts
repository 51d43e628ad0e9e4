import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSafetensorsHeader } from '../../hf/safetensors';
import { numel, readTensorF32, TensorRef } from '../../hf/tensor-ref';
import { roundToBf16 } from '../../support/dtype';
import { LogicalParam, ParamSource } from '../param-source';

/**
 * TEST-ONLY: serves an HF checkpoint directory (single model.safetensors or several *.safetensors)
 * under MLC parameter names with MLC's loader transformations (spec §6.2): q|k|v and gate|up row
 * fusions, qwen2/3 `c_attn`, phi3's `transformer.*` renames, and gemma's +1 on RMSNorm weights. The +1
 * is done in float32 by default (transformers' arithmetic); `plusOneIn: 'bfloat16'` rounds it to bf16 as
 * MLC's converter does for a bf16 checkpoint (spec §6.2).
 */

interface Recipe {
  sources: string[];
  plusOne: boolean;
}

const GEMMA_NORMS: Record<string, RegExp> = {
  gemma: /(input_layernorm|post_attention_layernorm|^model\.norm)\.weight$/,
  gemma2: /(input_layernorm|post_attention_layernorm|pre_feedforward_layernorm|post_feedforward_layernorm|^model\.norm)\.weight$/,
  gemma3: /(layernorm|q_norm|k_norm|model\.norm)\.weight$/,
  gemma3_text: /(layernorm|q_norm|k_norm|model\.norm)\.weight$/,
};

function recipes(names: string[], modelType: string): Map<string, Recipe> {
  const have = new Set(names);
  const out = new Map<string, Recipe>();
  const norms = GEMMA_NORMS[modelType];
  const isGemma3 = modelType === 'gemma3' || modelType === 'gemma3_text';
  const fusedQkv = modelType === 'qwen2' || modelType === 'qwen3' ? 'c_attn' : 'qkv_proj';
  for (const name of names) {
    let m = /^(.*)\.self_attn\.q_proj\.(weight|bias)$/.exec(name);
    if (m && !isGemma3) {
      const [, p, kind] = m;
      const sources = ['q_proj', 'k_proj', 'v_proj'].map((s) => `${p}.self_attn.${s}.${kind}`);
      if (sources.every((s) => have.has(s))) out.set(`${p}.self_attn.${fusedQkv}.${kind}`, { sources, plusOne: false });
      continue;
    }
    if (/\.self_attn\.[kv]_proj\./.test(name) && !isGemma3) continue;
    m = /^(.*)\.mlp\.gate_proj\.weight$/.exec(name);
    if (m) {
      out.set(`${m[1]}.mlp.gate_up_proj.weight`, { sources: [name, `${m[1]}.mlp.up_proj.weight`], plusOne: false });
      continue;
    }
    if (/\.mlp\.up_proj\.weight$/.test(name)) continue;
    let mlc = name;
    if (modelType === 'phi3') {
      mlc = name
        .replace(/^model\.embed_tokens\./, 'transformer.embd.')
        .replace(/^model\.norm\./, 'transformer.norm.')
        .replace(/^model\.layers\.(\d+)\.input_layernorm\./, 'transformer.h.$1.ln.')
        .replace(/^model\.layers\.(\d+)\.self_attn\.qkv_proj\./, 'transformer.h.$1.mixer.qkv_proj.')
        .replace(/^model\.layers\.(\d+)\.self_attn\.o_proj\./, 'transformer.h.$1.mixer.out_proj.')
        .replace(/^model\.layers\.(\d+)\./, 'transformer.h.$1.');
    }
    if (isGemma3 && !mlc.startsWith('language_model.')) mlc = `language_model.${mlc}`;
    out.set(mlc, { sources: [name], plusOne: !!norms && norms.test(name) });
  }
  if (isGemma3) {
    // fused gate_up names were produced from HF names; prefix them too.
    for (const [k, r] of [...out]) {
      if (!k.startsWith('language_model.')) {
        out.delete(k);
        out.set(`language_model.${k}`, r);
      }
    }
  }
  return out;
}

export class HfAsMlcParams implements ParamSource {
  private readonly refs = new Map<string, TensorRef>();
  private readonly recipes: Map<string, Recipe>;

  constructor(dir: string, modelType: string, private readonly plusOneIn: 'float32' | 'bfloat16' = 'float32') {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.safetensors') && f !== 'expected.safetensors');
    for (const f of files) for (const t of readSafetensorsHeader(path.join(dir, f)).tensors) this.refs.set(t.name, t);
    this.recipes = recipes([...this.refs.keys()], modelType);
  }

  names(): string[] {
    return [...this.recipes.keys()];
  }

  has(name: string): boolean {
    return this.recipes.has(name);
  }

  get(name: string): LogicalParam {
    const r = this.recipes.get(name);
    if (!r) throw new Error(`No parameter ${name}`);
    const parts = r.sources.map((s) => this.refs.get(s)!);
    const rows = parts.reduce((n, p) => n + p.shape[0], 0);
    const shape = [rows, ...parts[0].shape.slice(1)];
    const data = new Float32Array(parts.reduce((n, p) => n + numel(p.shape), 0));
    let at = 0;
    for (const p of parts) {
      const v = readTensorF32(p);
      data.set(v, at);
      at += v.length;
    }
    if (r.plusOne) {
      for (let i = 0; i < data.length; i++) data[i] = this.plusOneIn === 'bfloat16' ? roundToBf16(data[i] + 1) : data[i] + 1;
    }
    return { shape, data };
  }
}
