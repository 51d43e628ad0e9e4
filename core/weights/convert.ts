import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openCheckpoint, SourceFormat } from '../hf/checkpoint';
import { numel, readTensorBytes, TensorRef, DTYPE_BYTES } from '../hf/tensor-ref';
import { buildWeightMapping } from '../arch/mappings/registry';
import { getQuantization, Quantization } from '../quant/registry';
import { FloatSourceDtype, PlusOne } from '../quant/group-kernel';
import { writeFileAtomic } from '../support/atomic';
import { NxMlcError } from '../support/errors';
import { buildConvertPlan, ConvertPlan, PlannedParam } from './plan';
import { createJobRunner, JobRunner } from './pool';
import { Job, JobResult } from './job';
import { ShardWriter, TensorSink } from './shard-writer';
import { formatTensorCache, TensorCache, toB16Variant } from './tensor-cache-json';
import { CacheEntryWriter, TensorOutputCache } from './tensor-output-cache';

/**
 * convert-weight: a Hugging Face checkpoint → MLC `tensor-cache.json` + `params_shard_*.bin` (spec §4–§6).
 * Streams: source tensors are read in row blocks, quantized on worker threads, and written to shards in
 * MLC's emission order as results arrive, so memory is bounded by a few blocks plus one 32 MiB shard buffer.
 */

export interface ConvertProgress {
  bytesDone: number;
  bytesTotal: number;
  mbPerSec: number;
  etaSeconds: number;
  /** MLC parameter being written */
  param: string;
}

export interface ConvertOptions {
  source: string;
  quantization: string;
  output: string;
  sourceFormat?: SourceFormat;
  modelType?: string;
  /** quantizer threads (default: available parallelism); 1 runs inline */
  threads?: number;
  /** per-tensor incremental cache directory (off when absent) */
  cacheDir?: string;
  onProgress?: (p: ConvertProgress) => void;
}

export interface ConvertSummary {
  output: string;
  modelType: string;
  quantization: string;
  /** number of tensors written (metadata.ParamSize) */
  paramCount: number;
  paramBytes: number;
  bitsPerParam: number;
  shardCount: number;
  sourceBytes: number;
  outputBytes: number;
  seconds: number;
  /** MLC parameters taken from the incremental cache instead of being recomputed */
  reusedParams: number;
  computedParams: number;
  unusedSources: string[];
  redundantSources: string[];
}

/** Source bytes per job: big enough to amortise messaging, small enough to keep threads busy and memory low. */
const BLOCK_BYTES = 4 * 2 ** 20;

export const STALE_INDEX_NAMES = ['tensor-cache.json', 'ndarray-cache.json', 'tensor-cache-b16.json', 'ndarray-cache-b16.json'];

export async function convertWeight(opts: ConvertOptions): Promise<ConvertSummary> {
  const started = Date.now();
  if (os.endianness() !== 'LE') throw new NxMlcError('convert-weight needs a little-endian machine', { fix: 'Run it on x86-64 or arm64.' });
  const quant = getQuantization(opts.quantization);
  const awq = quant.kind === 'awq';
  if (awq !== (opts.sourceFormat === 'awq')) {
    throw new NxMlcError(
      awq ? 'q4f16_autoawq reads pre-quantized AutoAWQ checkpoints: pass --source-format awq' : `--source-format awq needs --quantization q4f16_autoawq, not ${quant.name}`,
      { field: awq ? 'source-format' : 'quantization', fix: 'Use `--source-format awq --quantization q4f16_autoawq` for AutoAWQ checkpoints, and a group quantization such as q4f16_1 for bf16/f16 ones.' },
    );
  }
  const ckpt = openCheckpoint(opts.source, opts.sourceFormat ?? 'auto');
  const modelType = opts.modelType ?? ckpt.config.modelType;
  const mapping = buildWeightMapping(modelType, ckpt.config.raw as Record<string, unknown>, ckpt.config.file, { awq });
  const plan = buildConvertPlan(ckpt, mapping, quant, ckpt.config.file);
  const threads = Math.max(1, opts.threads ?? os.availableParallelism());
  // shard writing + md5 run on their own threads (two, so that two shards hash at once) unless inline
  const writer = new ShardWriter(opts.output, threads > 1 ? 2 : 0);
  const runner = createJobRunner(threads);
  const cache = opts.cacheDir ? new TensorOutputCache(opts.cacheDir, quant.name) : undefined;
  let reused = 0;
  try {
    reused = await emitAll(plan, quant, ckpt.weightFormat === 'torch', writer, runner, threads, cache, opts.onProgress, started);
    const shards = await writer.finish();
    const paramCount = plan.params.reduce((s, p) => s + p.outputs.length, 0);
    const tensorCache: TensorCache = {
      metadata: { ParamSize: paramCount, ParamBytes: plan.paramBytes, BitsPerParam: (plan.paramBytes * 8) / plan.totalParamNum },
      records: shards,
    };
    writer.commit(STALE_INDEX_NAMES);
    const text = formatTensorCache(tensorCache);
    // the current name and the pre-Sept-2025 one, for older runtimes (spec §4.1)
    writeFileAtomic(path.join(opts.output, 'ndarray-cache.json'), text);
    if (shards.some((s) => s.records.some((r) => r.dtype === 'float32'))) {
      const b16 = formatTensorCache(toB16Variant(tensorCache));
      writeFileAtomic(path.join(opts.output, 'ndarray-cache-b16.json'), b16);
      writeFileAtomic(path.join(opts.output, 'tensor-cache-b16.json'), b16);
    }
    writeFileAtomic(path.join(opts.output, 'tensor-cache.json'), text);
    return {
      output: opts.output,
      modelType,
      quantization: quant.name,
      paramCount,
      paramBytes: plan.paramBytes,
      bitsPerParam: tensorCache.metadata.BitsPerParam,
      shardCount: shards.length,
      sourceBytes: plan.sourceBytes,
      outputBytes: shards.reduce((s, r) => s + r.nbytes, 0),
      seconds: (Date.now() - started) / 1000,
      reusedParams: reused,
      computedParams: plan.params.length - reused,
      unusedSources: plan.unused,
      redundantSources: plan.redundant,
    };
  } catch (e) {
    await writer.abort();
    throw e;
  } finally {
    await runner.close();
  }
}

/** One line for the CLI. */
export function formatConvertSummary(s: ConvertSummary): string {
  const mb = (b: number) => (b / 2 ** 20).toFixed(1);
  const reuse = s.reusedParams ? `, ${s.reusedParams} reused from cache` : '';
  return (
    `convert-weight: ${s.modelType} ${s.quantization}: ${s.paramCount} tensors, ${s.shardCount} shards, ${mb(s.outputBytes)} MB ` +
    `(${s.bitsPerParam.toFixed(3)} bits/param) from ${mb(s.sourceBytes)} MB in ${s.seconds.toFixed(2)} s` +
    `${reuse} → ${s.output}`
  );
}

/** One progress line for the CLI: "412.0/988.1 MB (42%), 215.3 MB/s, ETA 2.7 s". */
export function formatConvertProgress(p: ConvertProgress): string {
  const mb = (b: number) => (b / 2 ** 20).toFixed(1);
  const pct = p.bytesTotal ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 100;
  const eta = Number.isFinite(p.etaSeconds) ? `${p.etaSeconds.toFixed(1)} s` : '?';
  return `${mb(p.bytesDone)}/${mb(p.bytesTotal)} MB (${pct}%), ${p.mbPerSec.toFixed(1)} MB/s, ETA ${eta}`;
}

interface BlockJob {
  job: Job;
  param: PlannedParam;
  paramIndex: number;
  sourceName: string;
  sourceFile: string;
  /** first element of this block within its source tensor */
  elementOffset: number;
  /** first row of this block within the concatenated parameter */
  rowOffset: number;
  srcBytes: number;
  last: boolean;
}

/** The blocks of every parameter in emission order, read lazily (one positioned read each). */
function* blocks(plan: ConvertPlan, quant: Quantization, torch: boolean, skip: (i: number) => boolean, reader: BlockReader): Generator<BlockJob> {
  let id = 0;
  for (let pi = 0; pi < plan.params.length; pi++) {
    if (skip(pi)) continue;
    const p = plan.params[pi];
    let rowOffset = 0;
    for (let si = 0; si < p.refs.length; si++) {
      const ref = p.refs[si];
      const item = DTYPE_BYTES[ref.dtype];
      const rows = ref.shape.length === 1 ? 1 : ref.shape[0];
      const rowLen = numel(ref.shape) / Math.max(rows, 1);
      const perBlock = Math.max(1, Math.floor(BLOCK_BYTES / Math.max(1, rowLen * item)));
      // gemma's +1 happens in numpy's dtype of the loaded array: torch bf16 arrives as float32 (spec §6.2)
      const plusOne: PlusOne = p.spec.plusOne ? (torch && ref.dtype === 'BF16' ? 'F32' : (ref.dtype as FloatSourceDtype)) : false;
      for (let r = 0; r < rows; r += perBlock) {
        const n = Math.min(perBlock, rows - r);
        const src = reader.read(ref, r * rowLen * item, n * rowLen * item);
        yield {
          job: {
            id: id++,
            src,
            srcDtype: ref.dtype as FloatSourceDtype,
            rows: p.quantized ? n : 1,
            k: p.quantized ? rowLen : n * rowLen,
            modelDtype: quant.modelDtype,
            plusOne,
            group: p.quantized && quant.kind === 'group-quant' ? quant : undefined,
          },
          param: p,
          paramIndex: pi,
          sourceName: ref.name,
          sourceFile: ref.file,
          elementOffset: r * rowLen,
          rowOffset: rowOffset + r,
          srcBytes: n * rowLen * item,
          last: si === p.refs.length - 1 && r + n >= rows,
        };
      }
      rowOffset += rows;
    }
  }
}

/** Positioned reads into fresh, aligned ArrayBuffers (transferable to workers). */
class BlockReader {
  private readonly fds = new Map<string, number>();
  private strided?: { ref: TensorRef; bytes: Buffer };
  /** source buffers handed back by the quantizer threads, reused (fresh allocations cost page faults) */
  private readonly free: ArrayBuffer[] = [];

  recycle(ab: ArrayBuffer): void {
    if (ab.byteLength === BLOCK_BYTES && this.free.length < 64) this.free.push(ab);
  }

  read(ref: TensorRef, offset: number, length: number): ArrayBuffer {
    const ab = length <= BLOCK_BYTES ? (this.free.pop() ?? new ArrayBuffer(BLOCK_BYTES)) : new ArrayBuffer(length);
    const view = new Uint8Array(ab, 0, length);
    if (ref.strides) {
      // a non-contiguous torch view: gather it once, then slice blocks from it
      if (this.strided?.ref !== ref) this.strided = { ref, bytes: readTensorBytes(ref) };
      view.set(this.strided.bytes.subarray(offset, offset + length));
      return ab;
    }
    let fd = this.fds.get(ref.file);
    if (fd === undefined) {
      fd = fs.openSync(ref.file, 'r');
      this.fds.set(ref.file, fd);
    }
    let done = 0;
    while (done < length) {
      const got = fs.readSync(fd, view, done, length - done, ref.offset + offset + done);
      if (got === 0) throw new NxMlcError(`Unexpected end of file reading tensor "${ref.name}"`, { file: ref.file, fix: 'The file is truncated; download it again.' });
      done += got;
    }
    return ab;
  }

  close(): void {
    for (const fd of this.fds.values()) fs.closeSync(fd);
    this.fds.clear();
  }
}

/** Assembles one parameter's outputs from its blocks, in order, and hands them to the shard writer (and the cache). */
class ParamAssembler {
  private sink?: TensorSink;
  private full?: Uint8Array;
  private scales?: Uint8Array;
  private rowsSeen = 0;

  constructor(private readonly p: PlannedParam, private readonly writer: ShardWriter, private readonly tee?: CacheEntryWriter) {
    const [o0, o1] = p.outputs;
    if (p.transposed) this.full = new Uint8Array(o0.nbytes);
    else this.sink = writer.add(o0);
    if (o1) this.scales = new Uint8Array(o1.nbytes);
  }

  add(result: JobResult, rows: number): void {
    const w = new Uint8Array(result.outputs[0]);
    if (this.full) this.full.set(w, (this.rowsSeen * this.p.outputs[0].nbytes) / this.p.rows);
    else {
      this.tee?.write(0, w); // before the sink, which may move the buffer away
      this.sink!.write(w, true);
    }
    if (this.scales) this.scales.set(new Uint8Array(result.outputs[1]), (this.rowsSeen * this.p.outputs[1].nbytes) / this.p.rows);
    this.rowsSeen += rows;
  }

  finish(): void {
    const [o0, o1] = this.p.outputs;
    const writeWhole = (spec: typeof o0, bytes: Uint8Array, i: number) => {
      this.tee?.write(i, bytes);
      const sink = this.writer.add(spec);
      sink.write(bytes, true); // nothing reads these bytes afterwards
      sink.end();
    };
    if (this.full) writeWhole(o0, transpose(new Uint32Array(this.full.buffer), this.p.rows, o0.shape[0]), 0);
    else this.sink!.end();
    if (o1 && this.scales) writeWhole(o1, this.p.transposed ? transpose(new Uint16Array(this.scales.buffer), this.p.rows, o1.shape[0]) : this.scales, 1);
    this.tee?.commit();
  }
}

/** AutoAWQ packed tensors: [R, C_i] sources → [R, ΣC_i], bits unchanged (int32 → uint32 is bit-preserving). */
function writePackedCopy(p: PlannedParam, writer: ShardWriter): void {
  const srcs = p.refs.map((r) => readTensorBytes(r));
  const rowBytes = p.refs.map((r) => r.byteLength / r.shape[0]);
  const out = Buffer.allocUnsafe(p.outputs[0].nbytes);
  let o = 0;
  for (let row = 0; row < p.rows; row++) {
    srcs.forEach((b, i) => {
      b.copy(out, o, row * rowBytes[i], (row + 1) * rowBytes[i]);
      o += rowBytes[i];
    });
  }
  const sink = writer.add(p.outputs[0]);
  sink.write(out);
  sink.end();
}

/** [rows, cols] → [cols, rows] for 32- or 16-bit elements, returned as bytes. */
function transpose(a: Uint32Array | Uint16Array, rows: number, cols: number): Uint8Array {
  const out = a instanceof Uint32Array ? new Uint32Array(a.length) : new Uint16Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return new Uint8Array(out.buffer);
}

async function emitAll(
  plan: ConvertPlan,
  quant: Quantization,
  torch: boolean,
  writer: ShardWriter,
  runner: JobRunner,
  threads: number,
  cache: TensorOutputCache | undefined,
  onProgress: ConvertOptions['onProgress'],
  started: number,
): Promise<number> {
  const reader = new BlockReader();
  // With a cache, hash each parameter's sources first; hits are copied, misses computed and stored.
  const keys = cache ? plan.params.map((p) => cache.keyFor(p, torch)) : [];
  const hits = new Set<number>();
  keys.forEach((k, i) => cache!.has(k, plan.params[i]) && hits.add(i));
  // parameters written straight from the main thread: cache hits and AutoAWQ packed copies
  const direct = new Set<number>(hits);
  plan.params.forEach((p, i) => p.packedCopy && direct.add(i));
  const bytesTotal = plan.sourceBytes;
  let bytesDone = 0;
  let lastReport = 0;
  const report = (param: string, force = false) => {
    if (!onProgress) return;
    const now = Date.now();
    if (!force && now - lastReport < 200) return;
    lastReport = now;
    const secs = Math.max((now - started) / 1000, 1e-3);
    const rate = bytesDone / secs;
    onProgress({ bytesDone, bytesTotal, mbPerSec: rate / 2 ** 20, etaSeconds: rate > 0 ? (bytesTotal - bytesDone) / rate : Infinity, param });
  };
  let nextParam = 0;
  const flushHitsUpTo = (limit: number) => {
    // direct parameters are written when their turn in emission order comes
    for (; nextParam < limit; nextParam++) {
      if (!direct.has(nextParam)) continue;
      const p = plan.params[nextParam];
      if (hits.has(nextParam)) cache!.writeTo(keys[nextParam], p, writer);
      else writePackedCopy(p, writer);
      bytesDone += p.refs.reduce((s, r) => s + r.byteLength, 0);
      report(p.spec.name);
    }
  };
  try {
    const gen = blocks(plan, quant, torch, (i) => direct.has(i), reader);
    const window = Math.max(2, threads * 3);
    const inflight: { meta: BlockJob; promise: Promise<JobResult> }[] = [];
    const submit = () => {
      const next = gen.next();
      if (next.done) return false;
      const meta = next.value;
      inflight.push({ meta, promise: runner.run(meta.job) });
      return true;
    };
    while (inflight.length < window && submit());
    let assembler: ParamAssembler | undefined;
    let tee: CacheEntryWriter | undefined;
    try {
      while (inflight.length) {
        const { meta, promise } = inflight.shift()!;
        const result = await promise;
        reader.recycle(result.src);
        submit();
        if (result.bad >= 0) {
          throw new NxMlcError(`Tensor "${meta.sourceName}" contains NaN or Inf (element ${meta.elementOffset + result.bad})`, {
            file: meta.sourceFile,
            field: meta.sourceName,
            fix: 'The checkpoint is damaged or was saved after a diverged training step; use a healthy checkpoint.',
          });
        }
        if (!assembler) {
          flushHitsUpTo(meta.paramIndex);
          tee = cache?.begin(keys[meta.paramIndex], meta.param.outputs.length);
          assembler = new ParamAssembler(meta.param, writer, tee);
        }
        assembler.add(result, meta.job.rows);
        bytesDone += meta.srcBytes;
        if (meta.last) {
          assembler.finish();
          assembler = undefined;
          tee = undefined;
          nextParam = meta.paramIndex + 1;
        }
        report(meta.param.spec.name);
      }
    } finally {
      tee?.abort();
    }
    flushHitsUpTo(plan.params.length);
    report('', true);
  } finally {
    reader.close();
  }
  return hits.size;
}
