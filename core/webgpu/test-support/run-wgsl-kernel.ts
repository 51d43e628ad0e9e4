/// <reference types="@webgpu/types" />
/**
 * TEST-ONLY. Run one rendered WGSL kernel on a GPUDevice with given inputs, the way the host binds it, but
 * with guards: every buffer is placed `lead` elements into its GPU buffer (exercising the per-binding
 * offsets) with `pad` canary elements after it, and canaries are checked after the dispatch (an
 * out-of-bounds write fails the test instead of passing silently).
 */
import type { Kernel } from '../../compiler/ir/ir';
import type { RenderedWgslKernel } from '../../compiler/render/wgsl';
import { evalIntExpr } from '../expr';
import { arrayFor, type IrArray } from './ir-interpreter';

const CANARY = 0xa5;

export interface RunResult {
  outputs: Record<string, IrArray>;
  /** Buffers whose canary bytes changed. */
  clobbered: string[];
}

export async function runWgslKernel(
  device: GPUDevice,
  r: RenderedWgslKernel,
  k: Kernel,
  inputs: Record<string, IrArray>,
  scalars: Record<string, number>,
  lead = 3,
  pad = 64,
): Promise<RunResult> {
  const make = (size: number, usage: number) => device.createBuffer({ size: Math.max(16, Math.ceil(size / 4) * 4), usage });
  const gpuBufs: { name: string; buf: GPUBuffer; bytes: number; elem: number; total: number }[] = [];
  for (const b of r.buffers) {
    const data = inputs[b.name];
    const elem = data.BYTES_PER_ELEMENT;
    const total = Math.ceil(((lead + data.length + pad) * elem) / 4) * 4;
    const host = new Uint8Array(total).fill(CANARY);
    host.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), lead * elem);
    const buf = make(total, 128 | 8 | 4); // STORAGE | COPY_DST | COPY_SRC
    device.queue.writeBuffer(buf, 0, host);
    gpuBufs.push({ name: b.name, buf, bytes: data.byteLength, elem, total });
  }
  const uniforms = new Int32Array(Math.max(4, Math.ceil(r.uniforms.length / 4) * 4));
  r.uniforms.forEach((u, i) => (uniforms[i] = u.startsWith('o_') ? lead : scalars[u]));
  const ubuf = make(uniforms.byteLength, 64 | 8);
  device.queue.writeBuffer(ubuf, 0, uniforms);

  const layout = device.createBindGroupLayout({
    entries: [
      ...r.buffers.map((b, i) => ({ binding: i, visibility: 4, buffer: { type: (b.access === 'in' ? 'read-only-storage' : 'storage') as GPUBufferBindingType } })),
      { binding: r.buffers.length, visibility: 4, buffer: { type: 'uniform' as GPUBufferBindingType } },
    ],
  });
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code: r.code, label: k.name });
  const pl = device.createPipelineLayout({ bindGroupLayouts: [layout] });
  const bind = device.createBindGroup({
    layout,
    entries: [...gpuBufs.map((g, i) => ({ binding: i, resource: { buffer: g.buf } })), { binding: r.buffers.length, resource: { buffer: ubuf } }],
  });
  const enc = device.createCommandEncoder();
  for (const part of r.parts) {
    const pipeline = await device.createComputePipelineAsync({ layout: pl, compute: { module, entryPoint: part.entry } });
    let total = 1;
    for (const d of part.dims) total *= Math.max(0, evalIntExpr(d.hi, scalars) - evalIntExpr(d.lo, scalars));
    if (total <= 0) continue;
    const groups = Math.ceil(total / 64);
    const pass = enc.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(Math.min(groups, 65535), Math.ceil(groups / Math.min(groups, 65535)));
    pass.end();
  }
  const reads = gpuBufs.filter((g) => r.buffers.find((b) => b.name === g.name)!.access !== 'in').map((g) => ({ g, rb: make(g.total, 1 | 8) }));
  for (const { g, rb } of reads) enc.copyBufferToBuffer(g.buf, 0, rb, 0, g.total);
  device.queue.submit([enc.finish()]);
  const err = await device.popErrorScope();
  if (err) throw new Error(`${k.name}: ${err.message}`);
  const outputs: Record<string, IrArray> = {};
  const clobbered: string[] = [];
  for (const { g, rb } of reads) {
    await rb.mapAsync(1);
    const bytes = new Uint8Array(rb.getMappedRange().slice(0));
    rb.unmap();
    const start = lead * g.elem;
    for (let i = 0; i < bytes.length; i++) {
      if ((i < start || i >= start + g.bytes) && bytes[i] !== CANARY) {
        clobbered.push(g.name);
        break;
      }
    }
    const t = k.buffers.find((b) => b.name === g.name)!.t;
    const out = arrayFor(t, g.bytes / g.elem);
    new Uint8Array(out.buffer).set(bytes.subarray(start, start + g.bytes));
    outputs[g.name] = out;
  }
  for (const g of gpuBufs) g.buf.destroy();
  ubuf.destroy();
  return { outputs, clobbered };
}
