import { ModelDtype } from '../quant/registry';
import { decodeToModel, encodeModel, FloatSourceDtype, GroupParams, groupQuantize, groupShape, PlusOne } from '../quant/group-kernel';

/**
 * One unit of work for a quantizer thread: a block of whole rows of one source tensor.
 * Plain data only, so it crosses worker_threads with its buffer transferred, not copied.
 */
export interface Job {
  id: number;
  src: ArrayBuffer;
  srcDtype: FloatSourceDtype;
  rows: number;
  k: number;
  modelDtype: ModelDtype;
  plusOne: PlusOne;
  /** absent: cast only (stored 16-bit patterns); present: group-quantize */
  group?: GroupParams;
}

export interface JobResult {
  id: number;
  /** cast: [stored u16]; quantize: [q_weight u32 (NK), q_scale stored u16] */
  outputs: ArrayBuffer[];
  /** index of the first NaN/Inf source element in this block, or -1 */
  bad: number;
}

export function runJob(job: Job): JobResult {
  const n = job.rows * job.k;
  const values = new Float32Array(n);
  const bad = decodeToModel(new Uint8Array(job.src), job.srcDtype, n, job.modelDtype, job.plusOne, values);
  if (bad >= 0) return { id: job.id, outputs: [], bad };
  if (!job.group) {
    const out = new Uint16Array(n);
    encodeModel(values, n, job.modelDtype, out);
    return { id: job.id, outputs: [out.buffer], bad };
  }
  const { groups, words } = groupShape(job.k, job.group);
  const qWeight = new Uint32Array(job.rows * words);
  const scales = new Float32Array(job.rows * groups);
  groupQuantize(values, job.rows, job.k, job.group, qWeight, scales);
  const storedScales = new Uint16Array(scales.length);
  encodeModel(scales, scales.length, job.modelDtype, storedScales);
  return { id: job.id, outputs: [qWeight.buffer, storedScales.buffer], bad };
}
