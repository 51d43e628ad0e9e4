import { Dims } from './dims';
import { MlcParamSpec, SourceSpec } from './types';

/** Builders for the pieces most decoder LLM mappings share (spec §6.2 "standard loader"). */

export const Q = '(num_attention_heads × head_dim, hidden_size)';
export const KV = '(num_key_value_heads × head_dim, hidden_size)';

export function src(name: string, shape: number[], from: string): SourceSpec {
  return { name, shape, from };
}

export function embedding(mlcName: string, hfName: string, d: Dims): MlcParamSpec {
  return { name: mlcName, kind: 'embedding', sources: [src(hfName, [d.vocab, d.hidden], '(vocab_size, hidden_size)')] };
}

export function lmHead(mlcName: string, hfName: string, d: Dims): MlcParamSpec {
  return { name: mlcName, kind: 'final-fc', sources: [src(hfName, [d.vocab, d.hidden], '(vocab_size, hidden_size)')] };
}

export function norm(mlcName: string, hfName: string, size: number, from: string, plusOne = false): MlcParamSpec {
  return { name: mlcName, kind: 'plain', sources: [src(hfName, [size], from)], ...(plusOne ? { plusOne } : {}) };
}

export function linear(mlcName: string, sources: SourceSpec[]): MlcParamSpec {
  return { name: mlcName, kind: 'linear', sources };
}

/** q, k, v projections of layer prefix `p` (HF names), each [heads·head_dim, hidden]. */
export function qkvSources(p: string, d: Dims, suffix = 'weight'): SourceSpec[] {
  const isBias = suffix === 'bias';
  const shape = (heads: number) => (isBias ? [heads * d.headDim] : [heads * d.headDim, d.hidden]);
  return [
    src(`${p}.self_attn.q_proj.${suffix}`, shape(d.heads), isBias ? '(num_attention_heads × head_dim)' : Q),
    src(`${p}.self_attn.k_proj.${suffix}`, shape(d.kvHeads), isBias ? '(num_key_value_heads × head_dim)' : KV),
    src(`${p}.self_attn.v_proj.${suffix}`, shape(d.kvHeads), isBias ? '(num_key_value_heads × head_dim)' : KV),
  ];
}

export function oProj(mlcP: string, p: string, d: Dims): MlcParamSpec {
  return linear(`${mlcP}.self_attn.o_proj.weight`, [src(`${p}.self_attn.o_proj.weight`, [d.hidden, d.heads * d.headDim], '(hidden_size, num_attention_heads × head_dim)')]);
}

export function gateUp(mlcP: string, p: string, d: Dims): MlcParamSpec {
  const from = '(intermediate_size, hidden_size)';
  return linear(`${mlcP}.mlp.gate_up_proj.weight`, [
    src(`${p}.mlp.gate_proj.weight`, [d.intermediate, d.hidden], from),
    src(`${p}.mlp.up_proj.weight`, [d.intermediate, d.hidden], from),
  ]);
}

export function downProj(mlcP: string, p: string, d: Dims): MlcParamSpec {
  return linear(`${mlcP}.mlp.down_proj.weight`, [src(`${p}.mlp.down_proj.weight`, [d.hidden, d.intermediate], '(hidden_size, intermediate_size)')]);
}

/**
 * AutoAWQ linear (spec §5.4): `{mlc}.qweight` u32 [K, N/8], `.qzeros` u32 [K/G, N/8], `.scales` f16 [K/G, N],
 * each the concatenation of the HF projections along axis 1. `outs` are the projections' output sizes.
 */
export function awqLinear(mlcName: string, hfNames: string[], outs: number[], k: number, group: number, from: string): MlcParamSpec[] {
  const base = mlcName.replace(/\.weight$/, '');
  const hf = hfNames.map((n) => n.replace(/\.weight$/, ''));
  const kg = Math.floor(k / group);
  return [
    { name: `${base}.qweight`, kind: 'awq-packed', sources: hf.map((h, i) => src(`${h}.qweight`, [k, outs[i] / 8], `(${from}: K, N/8)`)) },
    { name: `${base}.qzeros`, kind: 'awq-packed', sources: hf.map((h, i) => src(`${h}.qzeros`, [kg, outs[i] / 8], `(${from}: K/group_size, N/8)`)) },
    { name: `${base}.scales`, kind: 'awq-packed', sources: hf.map((h, i) => src(`${h}.scales`, [kg, outs[i]], `(${from}: K/group_size, N)`)) },
  ];
}

/** Rewrite a standard mapping's linears into their AutoAWQ form. */
export function toAwq(params: MlcParamSpec[], group: number): MlcParamSpec[] {
  return params.flatMap((p) => {
    if (p.kind !== 'linear') return [p];
    const k = p.sources[0].shape[1];
    if (k % group !== 0) return [p]; // caught by the plan's shape check as a missing qweight
    return awqLinear(p.name, p.sources.map((s) => s.name), p.sources.map((s) => s.shape[0]), k, group, p.sources.map((s) => s.from).join(' + '));
  });
}
