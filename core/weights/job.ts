import { ModelDtype } from '../quant/registry';
import { castBf16ToF16Bits, decodeToModel, encodeModel, FloatSourceDtype, GroupParams, groupQuantize, groupShape, PlusOne } from '../quant/group-kernel';
import { nativeQ4 } from '../quant/native-q4';

/**
 * One unit of work for a quantizer thread: a block of whole rows of one source tensor.
 * Plain data only, so it crosses worker_threads with its buffer transferred, not copied.
 */
export interface Job {
  id: number;
  /** source bytes at offset 0; may be longer than rows·k elements (recycled buffers) */
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
  /** the job's source buffer, handed back for reuse */
  src: ArrayBuffer;
}

/** Reused between jobs of one thread: fresh multi-MB allocations cost page faults and zeroing. */
let scratch = new Float32Array(0);

export function runJob(job: Job): JobResult {
  const n = job.rows * job.k;
  if (!job.group && job.srcDtype === 'BF16' && job.modelDtype === 'float16' && !job.plusOne) {
    const out = new Uint16Array(n);
    const native = nativeQ4();
    const bad = native ? native.castBf16ToF16(new Uint16Array(job.src, 0, n), n, out) : castBf16ToF16Bits(new Uint8Array(job.src), n, out);
    return { id: job.id, outputs: bad >= 0 ? [] : [out.buffer], bad, src: job.src };
  }
  const g = job.group;
  if (g && job.srcDtype === 'BF16' && job.modelDtype === 'float16' && !job.plusOne && g.bits === 4 && g.groupSize === 32 && job.k % 32 === 0) {
    // bf16 → q4f16 (the common case): the native twin of decode + quantize + encode below, when it can be built
    const native = nativeQ4();
    if (native) {
      const qWeight = new Uint32Array((n / 32) * 4);
      const storedScales = new Uint16Array(n / 32);
      const bad = native.quantize(new Uint16Array(job.src, 0, n), job.rows, job.k, qWeight, storedScales);
      return { id: job.id, outputs: bad >= 0 ? [] : [qWeight.buffer, storedScales.buffer], bad, src: job.src };
    }
  }
  if (scratch.length < n) scratch = new Float32Array(n);
  const values = scratch;
  const bad = decodeToModel(new Uint8Array(job.src), job.srcDtype, n, job.modelDtype, job.plusOne, values);
  if (bad >= 0) return { id: job.id, outputs: [], bad, src: job.src };
  if (!job.group) {
    const out = new Uint16Array(n);
    encodeModel(values, n, job.modelDtype, out);
    return { id: job.id, outputs: [out.buffer], bad, src: job.src };
  }
  const { groups, words } = groupShape(job.k, job.group);
  const qWeight = new Uint32Array(job.rows * words);
  const scales = new Float32Array(job.rows * groups);
  groupQuantize(values, job.rows, job.k, job.group, qWeight, scales);
  const storedScales = new Uint16Array(scales.length);
  encodeModel(scales, scales.length, job.modelDtype, storedScales);
  return { id: job.id, outputs: [qWeight.buffer, storedScales.buffer], bad, src: job.src };
}
