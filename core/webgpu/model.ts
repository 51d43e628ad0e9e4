/// <reference types="@webgpu/types" />
/**
 * The webgpu host: executes a compiled webgpu library (artifact.ts) on a GPUDevice, in a browser or in
 * Node (Dawn). It owns the GPU buffers (params, scratch rows, KV cache per layer, tokens, logits), one
 * pipeline per kernel part with an explicit bind-group layout, and one bind group + uniform slot per step,
 * all made once; a forward writes the uniforms of every step in one writeBuffer, encodes every dispatch in
 * one compute pass, and reads back only the logits rows asked for.
 *
 * Semantics match the native ABI's forward (native/include/nxmlc_abi.h): n tokens at positions
 * pos..pos+n-1 append to the KV cache; logits come for rows [first, first+rows). Browser-safe.
 */
import { evalIntExpr } from './expr';
import type { WebgpuLibrary, WgslBufRef, WgslKernelEntry } from './artifact';
import { decodeRecord, parseTensorCache, type WeightSource } from './tensor-cache';

// WebGPU flag values (spelled out so the host does not need the GPUBufferUsage globals, which Node lacks).
const USAGE = { MAP_READ: 1, COPY_SRC: 4, COPY_DST: 8, UNIFORM: 64, STORAGE: 128 } as const;
const MAP_READ = 1;
const UNIFORM_SLOT = 256;

const TVM: Record<string, string> = { f32: 'float32', f16: 'float16', bf16: 'bfloat16', u32: 'uint32', i32: 'int32' };
const ELEM_BYTES: Record<string, number> = { f32: 4, f16: 2, bf16: 2, u32: 4, i32: 4 };
const align4 = (n: number) => Math.max(4, Math.ceil(n / 4) * 4);

export interface WebgpuModelOptions {
  /** KV capacity in tokens (default and maximum: the library's context_window_size). */
  contextWindow?: number;
  /** Use native f16 shaders when the device has shader-f16 (default true). */
  useF16?: boolean;
  /**
   * Most logits rows one forward can return (sizes the logits buffer: rows x vocab floats). Default: the
   * prefill chunk, capped at 64 MiB of logits (a 150k vocabulary gets ~110 rows; generation needs 1).
   */
  maxLogitRows?: number;
  /** Progress of weight loading, 0..1. */
  onProgress?: (fraction: number, text: string) => void;
}

interface Variant {
  entry: WgslKernelEntry;
  pipelines: GPUComputePipeline[];
  layout: GPUBindGroupLayout;
}

interface PreparedStep {
  full: { v: Variant; bind: GPUBindGroup; slot: number };
  single?: { v: Variant; bind: GPUBindGroup; slot: number };
  bufs: WgslBufRef[];
  scalars: WebgpuLibrary['steps'][number]['scalars'];
  usesRows: boolean;
}

export interface ForwardResult {
  /** rows × vocab logits, row-major. */
  logits: Float32Array;
  rows: number;
}

/** Adapter facts the host reports (and the page shows). */
export interface GpuInfo {
  description: string;
  f16: boolean;
}

/** Request an adapter and a device with the limits a model needs; shader-f16 when the adapter has it. */
export async function requestWebgpuDevice(gpu: GPU, wantF16 = true): Promise<{ device: GPUDevice; info: GpuInfo }> {
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('WebGPU: no adapter (no GPU driver; in Node set VK_ICD_FILENAMES to SwiftShader or install Mesa 25 lavapipe)');
  const f16 = wantF16 && adapter.features.has('shader-f16');
  const limits: Record<string, number> = {};
  for (const k of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupsPerDimension'] as const) {
    limits[k] = adapter.limits[k];
  }
  const device = await adapter.requestDevice({ requiredFeatures: f16 ? ['shader-f16'] : [], requiredLimits: limits });
  const ai = adapter.info ?? ({} as GPUAdapterInfo);
  const description = [ai.vendor, ai.architecture, ai.description].filter(Boolean).join(' / ') || 'unknown adapter';
  return { device, info: { description, f16 } };
}

export class WebgpuModel {
  readonly vocab: number;
  readonly contextWindow: number;
  readonly prefillChunk: number;
  readonly maxLogitRows: number;
  private kvLen = 0;
  private readonly steps: PreparedStep[] = [];
  private readonly buffers: GPUBuffer[] = [];

  private constructor(
    readonly device: GPUDevice,
    readonly lib: WebgpuLibrary,
    readonly f16: boolean,
    private readonly uniform: GPUBuffer,
    private readonly tokens: GPUBuffer,
    private readonly logits: GPUBuffer,
    private readonly readback: GPUBuffer,
    cap: number,
    maxLogitRows: number,
  ) {
    this.maxLogitRows = maxLogitRows;
    this.vocab = lib.metadata.vocab_size;
    this.contextWindow = cap;
    this.prefillChunk = Math.min(lib.metadata.prefill_chunk_size, cap);
  }

  /** Tokens in the KV cache (the next forward's `pos`). */
  get position(): number {
    return this.kvLen;
  }

  reset(): void {
    this.kvLen = 0;
  }

  static async create(device: GPUDevice, lib: WebgpuLibrary, weights: WeightSource, opts: WebgpuModelOptions = {}): Promise<WebgpuModel> {
    const f16 = (opts.useF16 ?? true) && device.features.has('shader-f16');
    const cap = Math.min(opts.contextWindow ?? lib.metadata.context_window_size, lib.metadata.context_window_size);
    const chunk = Math.min(lib.metadata.prefill_chunk_size, cap);
    const V = lib.metadata.vocab_size;
    const maxBinding = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    const make = (size: number, usage: number, label: string) => {
      // Every buffer is bound whole; index math in the shaders is i32.
      if (align4(size) > maxBinding || size / 2 >= 2 ** 31) {
        throw new Error(`${label} needs ${align4(size)} bytes, past this WebGPU device's ${maxBinding}-byte storage binding limit; use a smaller quantization, context_window_size or prefill_chunk_size`);
      }
      return device.createBuffer({ size: align4(size), usage, label });
    };
    const storage = USAGE.STORAGE | USAGE.COPY_DST | USAGE.COPY_SRC;
    const uniform = make(UNIFORM_SLOT * lib.steps.length * 2, USAGE.UNIFORM | USAGE.COPY_DST, 'uniforms');
    const tokens = make(chunk * 4, storage, 'tokens');
    const maxRows = Math.max(1, Math.min(chunk, opts.maxLogitRows ?? Math.max(1, Math.floor((64 << 20) / (V * 4)))));
    const logits = make(maxRows * V * 4, storage, 'logits');
    const readback = make(maxRows * V * 4, USAGE.MAP_READ | USAGE.COPY_DST, 'logits readback');
    const model = new WebgpuModel(device, lib, f16, uniform, tokens, logits, readback, cap, maxRows);
    model.buffers.push(uniform, tokens, logits, readback);
    try {

      // Params: one buffer each, filled shard by shard.
      const params = new Map<string, GPUBuffer>();
      for (const p of lib.params) {
        const bytes = p.shape.reduce((a, b) => a * b, 1) * ELEM_BYTES[p.dtype];
        const b = make(bytes, storage, p.name);
        params.set(p.name, b);
        model.buffers.push(b);
      }
      await model.loadWeights(weights, params, opts.onProgress);

      const scratch = new Map<string, GPUBuffer>();
      for (const s of lib.scratch) {
        const b = make(chunk * s.width * 4, storage, `scratch ${s.name}`);
        scratch.set(s.name, b);
        model.buffers.push(b);
      }
      const tables = new Map<string, GPUBuffer>();
      for (const t of lib.tables) {
        const b = make(t.values.length * 4, storage, `table ${t.name}`);
        device.queue.writeBuffer(b, 0, new Float32Array(t.values));
        tables.set(t.name, b);
        model.buffers.push(b);
      }
      const kv: GPUBuffer[] = [];
      for (let l = 0; l < lib.kv.layers * 2; l++) {
        const b = make(lib.kv.kvHeads * cap * lib.kv.headDim * 4, storage, `kv ${l >> 1} ${l & 1 ? 'v' : 'k'}`);
        kv.push(b);
        model.buffers.push(b);
      }
      const resolve = (r: WgslBufRef): GPUBuffer => {
        switch (r.k) {
          case 'param': return params.get(r.name)!;
          case 'scratch': return scratch.get(r.name)!;
          case 'kv': return kv[2 * r.layer + (r.which === 'v' ? 1 : 0)];
          case 'tokens': return tokens;
          case 'logits': return logits;
          case 'table': return tables.get(r.name)!;
        }
      };

      // Pipelines, compiled concurrently, once per kernel variant.
      const variants = new Map<string, Promise<Variant>>();
      const variant = (name: string): Promise<Variant> => {
        if (!variants.has(name)) variants.set(name, model.pipeline(name));
        return variants.get(name)!;
      };
      const prepared = await Promise.all(lib.steps.map(async (s) => ({ s, full: await variant(s.kernel), single: s.single ? await variant(s.single) : undefined })));
      let firstRows = false;
      prepared.forEach(({ s, full, single }, i) => {
        const bindFor = (v: Variant, slot: number) => ({
          v,
          slot,
          bind: device.createBindGroup({
            layout: v.layout,
            entries: [
              ...v.entry.bindings.map((b, j) => ({ binding: j, resource: { buffer: resolve(s.bufs[b.slot]) } })),
              { binding: v.entry.bindings.length, resource: { buffer: uniform, offset: slot * UNIFORM_SLOT, size: uniformSize(v.entry) } },
            ],
          }),
        });
        const usesRows = s.scalars.some((e) => e.k === 'var' && e.name === 'rows');
        firstRows ||= usesRows;
        model.steps.push({ full: bindFor(full, 2 * i), single: single ? bindFor(single, 2 * i + 1) : undefined, bufs: s.bufs, scalars: s.scalars, usesRows: firstRows });
      });
    } catch (e) {
      model.destroy(); // nothing half-made stays on the device
      throw e;
    }
    return model;
  }

  private async pipeline(name: string): Promise<Variant> {
    const entry = this.lib.kernels[name];
    if (!entry) throw new Error(`the webgpu library lacks kernel ${name}`);
    const code = this.f16 && entry.code.native ? entry.code.native : entry.code.packed;
    const module = this.device.createShaderModule({ code, label: name });
    const layout = this.device.createBindGroupLayout({
      label: name,
      entries: [
        ...entry.bindings.map((b, i) => ({
          binding: i,
          visibility: 4 /* COMPUTE */,
          buffer: { type: (b.access === 'in' ? 'read-only-storage' : 'storage') as GPUBufferBindingType },
        })),
        { binding: entry.bindings.length, visibility: 4, buffer: { type: 'uniform' as GPUBufferBindingType } },
      ],
    });
    const pipelineLayout = this.device.createPipelineLayout({ bindGroupLayouts: [layout] });
    const pipelines = await Promise.all(entry.parts.map((p) => this.device.createComputePipelineAsync({ label: `${name}.${p.entry}`, layout: pipelineLayout, compute: { module, entryPoint: p.entry } })));
    return { entry, pipelines, layout };
  }

  private async loadWeights(source: WeightSource, params: Map<string, GPUBuffer>, onProgress?: WebgpuModelOptions['onProgress']): Promise<void> {
    const shards = parseTensorCache(await source.tensorCache(), source.where);
    const wanted = new Map(this.lib.params.map((p) => [p.name, p]));
    const found = new Set<string>();
    const needed = shards.filter((s) => s.records.some((r) => wanted.has(r.name)));
    let done = 0;
    for (const shard of needed) {
      onProgress?.(done / needed.length, `loading ${shard.dataPath}`);
      const bytes = await source.shard(shard.dataPath);
      if (bytes.byteLength !== shard.nbytes) throw new Error(`${source.where}/${shard.dataPath} has ${bytes.byteLength} bytes, tensor-cache.json says ${shard.nbytes}; the shard is truncated or stale`);
      for (const rec of shard.records) {
        const p = wanted.get(rec.name);
        if (!p) continue;
        if (TVM[p.dtype] !== rec.dtype || p.shape.join(',') !== rec.shape.join(',')) {
          throw new Error(`${source.where}: ${rec.name} is ${rec.dtype}${JSON.stringify(rec.shape)} but the library needs ${TVM[p.dtype]}${JSON.stringify(p.shape)}; convert the weights and compile the library from the same mlc-chat-config.json`);
        }
        let data = decodeRecord(rec, bytes.subarray(rec.byteOffset, rec.byteOffset + rec.nbytes));
        if (data.byteLength % 4 !== 0 || data.byteOffset % 4 !== 0) {
          const padded = new Uint8Array(align4(data.byteLength));
          padded.set(data);
          data = padded;
        }
        this.device.queue.writeBuffer(params.get(rec.name)!, 0, data.buffer, data.byteOffset, data.byteLength);
        found.add(rec.name);
      }
      done++;
    }
    const missing = this.lib.params.filter((p) => !found.has(p.name)).map((p) => p.name);
    if (missing.length) throw new Error(`${source.where}: the weights lack ${missing.length} param(s) the library needs (${missing.slice(0, 3).join(', ')}…)`);
    await this.device.queue.onSubmittedWorkDone();
    onProgress?.(1, 'weights loaded');
  }

  /**
   * Run `tokens` (at most prefillChunk) at the current position; return logits of rows [first, first+rows)
   * of the chunk (default: the last row only). Advances the position.
   */
  async forward(tokens: ArrayLike<number>, opts: { first?: number; rows?: number } = {}): Promise<ForwardResult> {
    const n = tokens.length;
    if (n < 1 || n > this.prefillChunk) throw new Error(`forward takes 1..${this.prefillChunk} tokens, got ${n}`);
    if (this.kvLen + n > this.contextWindow) throw new Error(`context window of ${this.contextWindow} tokens exceeded`);
    const rows = opts.rows ?? (opts.first === undefined ? 1 : n - opts.first);
    const first = opts.first ?? n - rows;
    if (first < 0 || rows < 0 || first + rows > n) throw new Error(`logits rows [${first}, ${first + rows}) outside the chunk of ${n}`);
    if (rows > this.maxLogitRows) throw new Error(`${rows} logits rows asked, the model was created with maxLogitRows ${this.maxLogitRows}`);
    const env = { n, pos: this.kvLen, cap: this.contextWindow, rows, first };
    this.device.queue.writeBuffer(this.tokens, 0, Int32Array.from(tokens));

    const uniforms = new Int32Array((this.steps.length * 2 * UNIFORM_SLOT) / 4);
    const enc = this.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    const wg = this.lib.workgroupSize;
    for (const s of this.steps) {
      if (s.usesRows && rows <= 0) break; // chunks whose logits nobody wants stop after the last layer
      const single = s.single && evalIntExpr(s.scalars[0], env) === 1;
      const use = single ? s.single! : s.full;
      const e = use.v.entry;
      const vals: Record<string, number> = {};
      const base = (use.slot * UNIFORM_SLOT) / 4;
      let u = 0;
      for (let i = 0; i < e.scalars; i++) {
        const x = evalIntExpr(s.scalars[i], env);
        vals[e.uniforms[i]] = x;
        uniforms[base + u++] = x;
      }
      e.buffers.forEach((_, i) => {
        const r = s.bufs[i];
        uniforms[base + u++] = r.k === 'scratch' && r.offset ? evalIntExpr(r.offset, env) : 0;
      });
      pass.setBindGroup(0, use.bind);
      e.parts.forEach((p, pi) => {
        let total = 1;
        for (const d of p.dims) total *= Math.max(0, evalIntExpr(d.hi, vals) - evalIntExpr(d.lo, vals));
        if (total <= 0) return;
        const groups = Math.ceil(total / wg);
        const x = Math.min(groups, 65535);
        pass.setPipeline(use.v.pipelines[pi]);
        pass.dispatchWorkgroups(x, Math.ceil(groups / x));
      });
    }
    pass.end();
    const bytes = rows * this.vocab * 4;
    if (bytes > 0) enc.copyBufferToBuffer(this.logits, 0, this.readback, 0, bytes);
    this.device.queue.writeBuffer(this.uniform, 0, uniforms);
    this.device.queue.submit([enc.finish()]);
    this.kvLen += n;
    if (bytes === 0) return { logits: new Float32Array(0), rows: 0 };
    await this.readback.mapAsync(MAP_READ, 0, bytes);
    const out = new Float32Array(this.readback.getMappedRange(0, bytes).slice(0));
    this.readback.unmap();
    return { logits: out, rows };
  }

  /** Prefill any number of tokens in chunks; logits of the last token. */
  async prefill(tokens: ArrayLike<number>): Promise<Float32Array> {
    let last: Float32Array = new Float32Array(0);
    for (let i = 0; i < tokens.length; i += this.prefillChunk) {
      const chunk = Array.from(tokens).slice(i, i + this.prefillChunk);
      const isLast = i + this.prefillChunk >= tokens.length;
      const r = await this.forward(chunk, isLast ? {} : { rows: 0 });
      if (isLast) last = r.logits;
    }
    return last;
  }

  destroy(): void {
    for (const b of this.buffers) b.destroy();
    this.buffers.length = 0;
  }
}

function uniformSize(e: WgslKernelEntry): number {
  const bytes = Math.ceil((e.uniforms.length * 4) / 16) * 16;
  if (bytes > UNIFORM_SLOT) throw new Error(`kernel with ${e.uniforms.length} uniforms exceeds the ${UNIFORM_SLOT}-byte slot`);
  return Math.max(16, bytes);
}
