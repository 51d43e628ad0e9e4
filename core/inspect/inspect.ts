import * as fs from 'node:fs';
import * as path from 'node:path';
import { Checkpoint, SourceFormat, openCheckpoint } from '../hf/checkpoint';
import { getArch } from '../arch/registry';
import { deriveModelConfig } from '../arch/model-config';
import { QUANTIZATION_NAMES, Quantization, getQuantization } from '../quant/registry';
import { numel } from '../hf/tensor-ref';
import { PyObject, pyNumber } from '../support/pyjson';

/** What `nx-mlc inspect` reports about a checkpoint. Everything is read from headers: no tensor data is loaded. */
export interface InspectReport {
  dir: string;
  modelType: string;
  architecture: string;
  parameters: number;
  dtypes: Record<string, number>;
  files: { name: string; bytes: number }[];
  totalBytes: number;
  contextWindow: number;
  kv: { layers: number; kvHeads: number; headDim: number };
  estimates: { quantization: string; weightBytes: number; kvCacheBytes: number; totalBytes: number }[];
  warnings: string[];
}

const DTYPE_BYTES: Record<string, number> = { float16: 2, bfloat16: 2, float32: 4 };

/** Is this source tensor a matrix that group quantization packs (linear weights and, per scheme, the embedding)? */
function isQuantized(name: string, shape: number[], q: Quantization): boolean {
  if (q.kind !== 'group-quant' || shape.length !== 2 || !name.endsWith('.weight')) return false;
  if (/embed_tokens|embd\.weight|wte/.test(name)) return q.quantizeEmbedding;
  if (/lm_head/.test(name)) return q.quantizeFinalFc;
  return true;
}

function estimateWeights(ck: Checkpoint, q: Quantization): number {
  let bytes = 0;
  const modelBytes = DTYPE_BYTES[q.modelDtype];
  for (const { name } of ck.weightMap) {
    const t = ck.tensor(name);
    const n = numel(t.shape);
    if (q.kind === 'group-quant' && isQuantized(name, t.shape, q)) {
      const k = t.shape[1];
      const groups = Math.ceil(k / q.groupSize);
      bytes += t.shape[0] * groups * (q.wordsPerGroup * 4 + modelBytes);
    } else {
      bytes += n * modelBytes;
    }
  }
  return bytes;
}

export function inspectCheckpoint(dir: string, opts: { sourceFormat?: SourceFormat; contextWindow?: number } = {}): InspectReport {
  const ck = openCheckpoint(dir, opts.sourceFormat);
  const arch = getArch(ck.config.modelType, ck.config.file);
  const { modelConfig } = deriveModelConfig(arch, ck.config.raw, { max_batch_size: 128 }, ck.config.file);
  const mc = (modelConfig.text_config as PyObject | undefined) ?? modelConfig;
  const num = (v: unknown) => pyNumber(v as never) ?? 0;
  const layers = num(mc.num_hidden_layers);
  const kvHeads = num(mc.num_key_value_heads) || num(mc.num_attention_heads);
  const headDim = num(mc.head_dim) || Math.floor(num(mc.hidden_size) / num(mc.num_attention_heads));
  const ctxFromConfig = num(modelConfig.context_window_size) > 0 ? num(modelConfig.context_window_size) : num(modelConfig.sliding_window_size);
  const contextWindow = opts.contextWindow ?? ctxFromConfig;

  const dtypes: Record<string, number> = {};
  let parameters = 0;
  const warnings: string[] = [];
  for (const { name } of ck.weightMap) {
    const t = ck.tensor(name);
    const n = numel(t.shape);
    dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + n;
    if (!name.endsWith('rotary_emb.inv_freq')) parameters += n;
  }
  if (dtypes.F32 && Object.keys(dtypes).length === 1) warnings.push('All weights are float32: conversion reads twice the bytes of a bf16/f16 checkpoint.');
  if (ck.weightFormat === 'torch') warnings.push('Weights are PyTorch .bin files; safetensors loads faster and safer if the repository offers it.');
  const tied = modelConfig.tie_word_embeddings === true || arch.modelType.startsWith('gemma');
  if (tied && ck.weightMap.some((w) => w.name === 'lm_head.weight')) warnings.push('tie_word_embeddings is set but the checkpoint also stores lm_head.weight (it is ignored).');
  const extra = ck.config.raw.quantization_config as PyObject | undefined;
  if (extra) warnings.push(`The checkpoint is already quantized (${String(extra.quant_method ?? 'unknown method')}); use a matching --source-format (e.g. awq).`);

  const estimates = QUANTIZATION_NAMES.map((name) => {
    const q = getQuantization(name);
    const weightBytes = estimateWeights(ck, q);
    const kvBytesPerElem = q.modelDtype === 'float32' ? 4 : 2;
    const kvCacheBytes = 2 * layers * kvHeads * headDim * contextWindow * kvBytesPerElem;
    return { quantization: name, weightBytes, kvCacheBytes, totalBytes: weightBytes + kvCacheBytes };
  });
  return {
    dir,
    modelType: arch.modelType,
    architecture: arch.description,
    parameters,
    dtypes,
    files: ck.weightFiles.map((f) => ({ name: path.basename(f), bytes: fs.statSync(f).size })),
    totalBytes: ck.totalBytes,
    contextWindow,
    kv: { layers, kvHeads, headDim },
    estimates,
    warnings,
  };
}


