import { NxMlcError } from '../support/errors';
import { numel, TensorRef } from '../hf/tensor-ref';
import { MlcParamSpec, WeightMapping } from '../arch/mappings/types';
import { Quantization } from '../quant/registry';
import { groupShape } from '../quant/group-kernel';

/**
 * What convert-weight will do, decided before any tensor byte is read: the MLC parameters in MLC's emission
 * order (spec §4.5), their source tensors, the output tensors with shapes/dtypes, and the metadata numbers.
 * Every check that needs only headers happens here (missing / extra tensors, shapes against config.json,
 * dtypes), so a bad checkpoint fails in milliseconds.
 */

export interface OutputSpec {
  name: string;
  shape: number[];
  /** TVM dtype name as written in tensor-cache.json */
  dtype: string;
  /** bytes stored in the shard (float32 is stored as bf16) */
  nbytes: number;
  /** bytes of the logical dtype (ParamBytes counts float32 as 4) */
  logicalBytes: number;
}

export interface PlannedParam {
  spec: MlcParamSpec;
  refs: TensorRef[];
  /** rows after concatenation along axis 0 (1 for a 1-D tensor) */
  rows: number;
  /** length of the last axis (the group axis) */
  k: number;
  quantized: boolean;
  /** q?f16_0 linears: q_weight / q_scale transposed to [K', N] */
  transposed: boolean;
  /** AutoAWQ packed tensors: bits copied as they are, sources concatenated along axis 1 (no quantizer job) */
  packedCopy: boolean;
  outputs: OutputSpec[];
}

export interface ConvertPlan {
  params: PlannedParam[];
  /** source tensors MLC lists as unused (e.g. rotary_emb.inv_freq) */
  unused: string[];
  /** source tensors the model does not need (e.g. lm_head of a tied model) */
  redundant: string[];
  /** BitsPerParam denominator: numel of every loaded source tensor, replaying MLC's file load/unload */
  totalParamNum: number;
  paramBytes: number;
  sourceBytes: number;
}

export interface CheckpointView {
  weightMap: { name: string; file: string }[];
  tensor(name: string): TensorRef;
}

const FLOAT_SOURCES = new Set(['F32', 'F16', 'BF16']);

export function buildConvertPlan(ckpt: CheckpointView, mapping: WeightMapping, quant: Quantization, configFile: string): ConvertPlan {
  const fileOf = new Map(ckpt.weightMap.map((e) => [e.name, e.file]));
  const usersOf = new Map<string, number[]>();
  mapping.params.forEach((p, i) => {
    for (const s of p.sources) {
      if (!usersOf.has(s.name)) usersOf.set(s.name, []);
      usersOf.get(s.name)!.push(i);
    }
  });

  // Missing tensors: everything the model needs must be in the checkpoint.
  const missing = [...usersOf.keys()].filter((n) => !fileOf.has(n));
  if (missing.length) {
    throw new NxMlcError(`The checkpoint lacks ${missing.length} tensor(s) the ${'model'} needs: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''}`, {
      file: configFile,
      field: missing[0],
      fix: 'Check that config.json matches the weights (num_hidden_layers, tie_word_embeddings, model_type) and that every shard was downloaded.',
    });
  }
  // Extra tensors: every source tensor is consumed or explicitly ignored.
  const unused: string[] = [];
  const redundant: string[] = [];
  const extra: string[] = [];
  for (const { name } of ckpt.weightMap) {
    if (usersOf.has(name)) continue;
    if (mapping.isUnused(name)) unused.push(name);
    else if (mapping.isRedundant(name)) redundant.push(name);
    else extra.push(name);
  }
  if (extra.length) {
    throw new NxMlcError(`The checkpoint has ${extra.length} tensor(s) the model does not use: ${extra.slice(0, 8).join(', ')}${extra.length > 8 ? ', …' : ''}`, {
      file: fileOf.get(extra[0]),
      field: extra[0],
      fix: 'The weights do not match config.json (wrong model_type, num_hidden_layers or tie_word_embeddings?), or pass --model-type for the right architecture.',
    });
  }

  // Emission order: files in first-appearance order, names in weight-map order within a file; a param is
  // emitted at the first of its sources seen (MLC's HuggingFaceLoader).
  const files: string[] = [];
  const byFile = new Map<string, string[]>();
  for (const { name, file } of ckpt.weightMap) {
    if (!byFile.has(file)) {
      byFile.set(file, []);
      files.push(file);
    }
    byFile.get(file)!.push(name);
  }
  const order: number[] = [];
  const emitted = new Set<number>();
  for (const f of files) {
    for (const name of byFile.get(f)!) {
      for (const i of usersOf.get(name) ?? []) {
        if (!emitted.has(i)) {
          emitted.add(i);
          order.push(i);
        }
      }
    }
  }

  const params = order.map((i) => planParam(mapping.params[i], ckpt, quant, configFile, fileOf));

  // BitsPerParam denominator (spec §4.6): replay loads of whole files, counting each loaded tensor's numel.
  const fileNumel = new Map<string, number>();
  for (const { name, file } of ckpt.weightMap) {
    if (mapping.isUnused(name)) continue;
    fileNumel.set(file, (fileNumel.get(file) ?? 0) + numel(ckpt.tensor(name).shape));
  }
  let totalParamNum = 0;
  let cached = new Set<string>();
  for (const p of params) {
    const required = new Set(p.spec.sources.map((s) => fileOf.get(s.name)!));
    const toLoad = [...required].filter((f) => !cached.has(f));
    if (toLoad.length === 0) continue;
    cached = new Set([...cached].filter((f) => required.has(f)));
    for (const f of toLoad) {
      totalParamNum += fileNumel.get(f) ?? 0;
      cached.add(f);
    }
  }
  const paramBytes = params.reduce((s, p) => s + p.outputs.reduce((t, o) => t + o.logicalBytes, 0), 0);
  const sourceBytes = params.reduce((s, p) => s + p.refs.reduce((t, r) => t + r.byteLength, 0), 0);
  return { params, unused, redundant, totalParamNum, paramBytes, sourceBytes };
}

const AWQ_SOURCE_DTYPES: Record<string, { dtype: string; accepts: string[] }> = {
  qweight: { dtype: 'uint32', accepts: ['I32', 'U32'] },
  qzeros: { dtype: 'uint32', accepts: ['I32', 'U32'] },
  scales: { dtype: 'float16', accepts: ['F16'] },
};

function planParam(spec: MlcParamSpec, ckpt: CheckpointView, quant: Quantization, configFile: string, fileOf: Map<string, string>): PlannedParam {
  const packed = spec.kind === 'awq-packed';
  const refs = spec.sources.map((s) => {
    const ref = ckpt.tensor(s.name);
    if (ref.shape.length !== s.shape.length || ref.shape.some((d, i) => d !== s.shape[i])) {
      throw new NxMlcError(
        `Tensor "${s.name}" has shape [${ref.shape.join(', ')}] but config.json implies [${s.shape.join(', ')}] ${s.from}`,
        { file: fileOf.get(s.name), field: s.name, fix: `Use the config.json that belongs to these weights (check ${s.from.replace(/[()]/g, '')}).` },
      );
    }
    if (packed) {
      const want = AWQ_SOURCE_DTYPES[s.name.slice(s.name.lastIndexOf('.') + 1)];
      if (!want || !want.accepts.includes(ref.dtype)) {
        throw new NxMlcError(`Tensor "${s.name}" has dtype ${ref.dtype}; AutoAWQ ${s.name.slice(s.name.lastIndexOf('.') + 1)} must be ${want?.accepts.join(' or ')}`, {
          file: fileOf.get(s.name),
          field: s.name,
          fix: 'Use a checkpoint written by AutoAWQ (GEMM version).',
        });
      }
      return ref;
    }
    if (!FLOAT_SOURCES.has(ref.dtype)) {
      throw new NxMlcError(`Tensor "${s.name}" has dtype ${ref.dtype}; convert-weight reads float32, float16 and bfloat16 weights`, {
        file: fileOf.get(s.name),
        field: s.name,
        fix: 'Re-save the checkpoint in bf16/f16/f32 (pre-quantized checkpoints need their own --source-format).',
      });
    }
    return ref;
  });
  if (packed) {
    const shape = [refs[0].shape[0], refs.reduce((t, r) => t + r.shape[1], 0)];
    const dtype = AWQ_SOURCE_DTYPES[spec.name.slice(spec.name.lastIndexOf('.') + 1)].dtype;
    const nbytes = numel(shape) * 4 / (dtype === 'uint32' ? 1 : 2);
    return { spec, refs, rows: shape[0], k: shape[1], quantized: false, transposed: false, packedCopy: true, outputs: [{ name: spec.name, shape, dtype, nbytes, logicalBytes: nbytes }] };
  }
  const first = refs[0].shape;
  const rows = first.length === 1 ? 1 : refs.reduce((s, r) => s + r.shape[0], 0);
  const k = first[first.length - 1];
  const outShape = first.length === 1 ? [refs.reduce((s, r) => s + r.shape[0], 0)] : [rows, ...first.slice(1)];
  const m = quant.modelDtype;
  const logicalItem = m === 'float32' ? 4 : 2;
  const quantized =
    quant.kind === 'group-quant' &&
    (spec.kind === 'linear' || (spec.kind === 'embedding' && quant.quantizeEmbedding) || (spec.kind === 'final-fc' && quant.quantizeFinalFc));
  if (!quantized || quant.kind !== 'group-quant') {
    const n = numel(outShape);
    return { spec, refs, rows: first.length === 1 ? 1 : rows, k: first.length === 1 ? n : k, quantized: false, transposed: false, packedCopy: false, outputs: [{ name: spec.name, shape: outShape, dtype: m, nbytes: n * 2, logicalBytes: n * logicalItem }] };
  }
  if (first.length !== 2) throw new Error(`internal: quantized param ${spec.name} is not 2-D`);
  const { groups, words } = groupShape(k, quant);
  const transposed = quant.layout === 'KN' && spec.kind !== 'embedding';
  const base = spec.name.replace(/\.weight$/, '');
  const wShape = transposed ? [words, rows] : [rows, words];
  const sShape = transposed ? [groups, rows] : [rows, groups];
  return {
    spec,
    refs,
    rows,
    k,
    quantized: true,
    transposed,
    packedCopy: false,
    outputs: [
      { name: `${base}.q_weight`, shape: wShape, dtype: 'uint32', nbytes: rows * words * 4, logicalBytes: rows * words * 4 },
      { name: `${base}.q_scale`, shape: sShape, dtype: m, nbytes: rows * groups * 2, logicalBytes: rows * groups * logicalItem },
    ],
  };
}

