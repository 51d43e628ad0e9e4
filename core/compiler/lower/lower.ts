/**
 * Lowering: architecture + quantization + model_config -> the static plan of one forward pass.
 * The decoder layer is written once here from shared blocks; architectures only switch features on
 * (qkv bias, q/k norm, sandwich norms, soft-caps, sliding windows) through ModelDims.
 */
import type { Expr, Kernel } from '../ir/ir';
import { c, mul, v } from '../ir/build';
import type { ModelDims, WeightNames } from './model-dims';
import type { BufRef, Plan, Step } from './plan';
import { linearParams, type ParamDecl, type QuantScheme } from './quant';
import { gemvKernel, matmulKernel, type MatmulSpec } from './kernels/matmul';
import { qkNormKernel, rmsNormKernel } from './kernels/norm';
import { ropeInvFreq, ropeKernel } from './kernels/rope';
import { attentionKernel, kvAppendKernel } from './kernels/attention';
import { roundToBf16, roundToF16 } from '../../support/dtype';
import { embedKernel, gatedActKernel, residualAddKernel, softcapKernel } from './kernels/elementwise';

export interface LowerOptions {
  /** Emit single-row GEMV variants for decode (off at O0). */
  gemv: boolean;
  /**
   * Round RoPE inverse frequencies to this dtype. MLC keeps them float32 (the default); transformers
   * run in bf16/f16 casts its inv_freq buffer to that dtype, which moves logits by ~1e-3 — choose the
   * checkpoint's dtype to reproduce transformers exactly.
   */
  invFreqDtype?: 'float32' | 'bfloat16' | 'float16';
  /** Decode GEMVs quantise activations to int8 per 32 (llama.cpp-style): faster, ~1e-3 relative error. */
  int8Activations?: boolean;
}

export function lowerModel(dims: ModelDims, names: WeightNames, q: QuantScheme, opts: LowerOptions = { gemv: true }): Plan {
  const roundFreq = opts.invFreqDtype === 'bfloat16' ? roundToBf16 : opts.invFreqDtype === 'float16' ? roundToF16 : (x: number) => x;
  const { hidden: H, intermediate: I, heads: HQ, kvHeads: HKV, headDim: D, vocab: V } = dims;
  const QKV = (HQ + 2 * HKV) * D;
  const md = q.modelDtype;
  const params: ParamDecl[] = [];
  const steps: Step[] = [];
  const n = v('n');
  const P = (name: string): BufRef => ({ k: 'param', name });
  const S = (name: string, offset?: Expr): BufRef => ({ k: 'scratch', name, offset });

  /** `embedding`: read with embedding-table rules; `register`: declare its params (false for a tied head). */
  const linear = (prefix: string, N: number, K: number, bias: boolean, embedding = false, register = true) => {
    const decls = linearParams(q, prefix, N, K, embedding);
    if (register) params.push(...decls);
    if (bias) params.push({ name: `${prefix}.bias`, dtype: md, shape: [N] });
    const spec: MatmulSpec = { q, n: N, k: K, bias, embedding, int8Activations: opts.int8Activations };
    const wrefs = [...decls.map((d) => P(d.name)), ...(bias ? [P(`${prefix}.bias`)] : [])];
    return (x: BufRef, y: BufRef, rows: Expr = n): Step => ({
      kernel: matmulKernel(spec),
      bufs: [x, ...wrefs, y],
      scalars: [rows],
      single: opts.gemv ? gemvKernel(spec) : undefined,
    });
  };
  const normParam = (name: string, size = H) => {
    params.push({ name, dtype: md, shape: [size] });
    return P(name);
  };
  const norm = rmsNormKernel(H, dims.eps, md);

  // Embedding (its params come first, as MLC lists them).
  const embedDecls = linearParams(q, names.embed, V, H, true);
  params.push(...embedDecls);
  steps.push({ kernel: embedKernel(q, V, H, dims.embedScale), bufs: [{ k: 'tokens' }, ...embedDecls.map((d) => P(d.name)), S('x')], scalars: [n] });

  const invFreq = ropeInvFreq(dims.ropeTheta, dims.rotaryDim, dims.ropeScaling as never).map(roundFreq);
  const rope = ropeKernel(HQ, HKV, D, dims.rotaryDim);
  const kvAppend = kvAppendKernel(HQ, HKV, D);
  const act = gatedActKernel(I, dims.activation);
  const resAdd = residualAddKernel(H);
  const attnKernels = new Map<number, Kernel>();
  const attnFor = (window: number) => {
    if (!attnKernels.has(window)) {
      attnKernels.set(window, attentionKernel({ hq: HQ, hkv: HKV, d: D, scale: dims.attnScale, window, softcap: dims.attnSoftcap }));
    }
    return attnKernels.get(window)!;
  };
  const pos = v('pos');
  const cap = v('cap');

  for (let l = 0; l < dims.layers; l++) {
    const inNorm = normParam(names.inputNorm(l));
    const qkv = linear(names.qkv(l), QKV, H, dims.qkvBias);
    const qn = dims.qkNorm ? normParam(names.qNorm!(l), D) : undefined;
    const kn = dims.qkNorm ? normParam(names.kNorm!(l), D) : undefined;
    const o = linear(names.o(l), H, HQ * D, false);
    const postAttn = normParam(names.postAttnNorm(l));
    const preFfn = dims.sandwichNorms ? normParam(names.preFfnNorm!(l)) : undefined;
    const gateUp = linear(names.gateUp(l), 2 * I, H, false);
    const down = linear(names.down(l), H, I, false);
    const postFfn = dims.sandwichNorms ? normParam(names.postFfnNorm!(l)) : undefined;
    const kc: BufRef = { k: 'kv', layer: l, which: 'k' };
    const vc: BufRef = { k: 'kv', layer: l, which: 'v' };

    steps.push({ kernel: norm, bufs: [S('x'), inNorm, S('xn')], scalars: [n] });
    steps.push(qkv(S('xn'), S('qkv')));
    if (qn && kn) steps.push({ kernel: qkNormKernel(HQ, HKV, D, dims.eps, md), bufs: [S('qkv'), qn, kn], scalars: [n] });
    steps.push({ kernel: rope, bufs: [S('qkv'), { k: 'table', name: 'inv_freq' }], scalars: [n, pos] });
    steps.push({ kernel: kvAppend, bufs: [S('qkv'), kc, vc], scalars: [n, pos, cap] });
    steps.push({ kernel: attnFor(dims.windowOf(l)), bufs: [S('qkv'), kc, vc, S('attn')], scalars: [n, pos, cap] });
    steps.push(o(S('attn'), S('o')));
    if (dims.sandwichNorms) steps.push({ kernel: norm, bufs: [S('o'), postAttn, S('o')], scalars: [n] });
    steps.push({ kernel: resAdd, bufs: [S('x'), S('o')], scalars: [n] });
    steps.push({ kernel: norm, bufs: [S('x'), preFfn ?? postAttn, S('xn')], scalars: [n] });
    steps.push(gateUp(S('xn'), S('gu')));
    steps.push({ kernel: act, bufs: [S('gu'), S('act')], scalars: [n] });
    steps.push(down(S('act'), S('o')));
    if (postFfn) steps.push({ kernel: norm, bufs: [S('o'), postFfn, S('o')], scalars: [n] });
    steps.push({ kernel: resAdd, bufs: [S('x'), S('o')], scalars: [n] });
  }

  // Final norm and logits, only for the rows whose logits are wanted.
  const rows = v('rows');
  const finalNorm = normParam(names.finalNorm);
  steps.push({ kernel: norm, bufs: [S('x', mul(v('first'), c(H))), finalNorm, S('xn')], scalars: [rows] });
  // A tied head reads the (quantised) embedding table; q4f16_2 keeps an untied lm_head unquantised too.
  const head = dims.tieEmbeddings
    ? linear(names.embed, V, H, false, true, false)
    : linear(names.lmHead, V, H, false, q.kind === 'group' && !q.quantizeEmbedding, true);
  steps.push(head(S('xn'), { k: 'logits' }, rows));
  if (dims.finalSoftcap) steps.push({ kernel: softcapKernel(V, dims.finalSoftcap), bufs: [{ k: 'logits' }], scalars: [rows] });

  return {
    params,
    scratch: [
      { name: 'x', width: H },
      { name: 'xn', width: H },
      { name: 'qkv', width: QKV },
      { name: 'attn', width: HQ * D },
      { name: 'o', width: H },
      { name: 'gu', width: 2 * I },
      { name: 'act', width: I },
    ],
    tables: [{ name: 'inv_freq', values: invFreq }],
    steps,
    kv: { layers: dims.layers, kvHeads: HKV, headDim: D },
  };
}
