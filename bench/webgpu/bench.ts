/**
 * webgpu target benchmark in Node (Dawn), on whatever adapter Dawn finds (SwiftShader / lavapipe on the
 * build machine, NVIDIA Vulkan on the GPU machine). Two models:
 *  - demo: examples/pycode-6m converted by our converter (a prepared directory: --dir, --lib), real
 *    weights, prompt = the reference prompt ids; checks the greedy tokens against transformers' (q0f32);
 *  - qwen2.5-0.5b: the Qwen2.5-0.5B shape with random q4f16_1 weights generated in memory (--random).
 * Prints one JSON line per run: adapter, load seconds, prefill tok/s, decode tok/s (each decode step reads
 * the logits row back to the host, as the page does).
 *   node -r @swc-node/register bench/webgpu/bench.ts --dir <model dir> --lib <lib.mjs> [--decode 32] [--expected <expected.safetensors>]
 *   node -r @swc-node/register bench/webgpu/bench.ts --random <lib.mjs> [--prompt 128] [--decode 32]
 * bench/webgpu/prepare.ts makes the directories and libraries, and a bundle of this file for machines without Node.
 */
import { FileWeightSource, nodeGpu, readWebgpuLibrary } from '../../core/webgpu/node';
import { requestWebgpuDevice, WebgpuModel } from '../../core/webgpu/model';
import type { WeightSource } from '../../core/webgpu/tensor-cache';
import type { WebgpuLibrary } from '../../core/webgpu/artifact';
import { readSafetensorsHeader } from '../../core/hf/safetensors';
import { readTensorF32 } from '../../core/hf/tensor-ref';

const arg = (name: string, dflt?: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};

const TVM_BYTES: Record<string, number> = { f32: 4, f16: 2, bf16: 2, u32: 4, i32: 4 };
const TVM_NAME: Record<string, string> = { f32: 'float32', f16: 'float16', bf16: 'bfloat16', u32: 'uint32', i32: 'int32' };

/** Random weights in MLC's layout, one shard per param: u32 words uniform, f16 scales ~0.008, norms 1.0. */
class RandomWeightSource implements WeightSource {
  readonly where = 'random weights';
  constructor(private readonly lib: WebgpuLibrary) {}
  async tensorCache(): Promise<unknown> {
    return {
      records: this.lib.params.map((p) => {
        const nbytes = p.shape.reduce((a, b) => a * b, 1) * TVM_BYTES[p.dtype];
        return { dataPath: p.name, format: 'raw-shard', nbytes, records: [{ name: p.name, shape: p.shape, dtype: TVM_NAME[p.dtype], format: 'raw', nbytes, byteOffset: 0 }] };
      }),
    };
  }
  async shard(name: string): Promise<Uint8Array> {
    const p = this.lib.params.find((x) => x.name === name)!;
    const n = p.shape.reduce((a, b) => a * b, 1);
    let seed = name.length * 7919;
    const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
    if (p.dtype === 'u32') return new Uint8Array(Uint32Array.from({ length: n }, rnd).buffer);
    const a = new Uint16Array(n);
    for (let i = 0; i < n; i++) a[i] = name.endsWith('q_scale') ? 0x2000 + (rnd() & 0xff) : name.endsWith('.bias') ? 0 : 0x3c00;
    return new Uint8Array(a.buffer);
  }
}

async function main(): Promise<void> {
  const random = arg('random');
  const libFile = random ?? arg('lib');
  if (!libFile) throw new Error('pass --lib <lib.mjs> --dir <model dir>, or --random <lib.mjs>');
  const lib = readWebgpuLibrary(libFile);
  const source: WeightSource = random ? new RandomWeightSource(lib) : new FileWeightSource(arg('dir')!);
  const decode = Number(arg('decode', '32'));
  const { device, info } = await requestWebgpuDevice(nodeGpu());
  const t0 = performance.now();
  const model = await WebgpuModel.create(device, lib, source, { contextWindow: Number(arg('context', String(lib.metadata.context_window_size))) });
  const loadSeconds = (performance.now() - t0) / 1000;

  const expectedFile = arg('expected');
  const expected = expectedFile ? Object.fromEntries(readSafetensorsHeader(expectedFile).tensors.map((t) => [t.name, Array.from(readTensorF32(t))])) : undefined;
  const promptLen = Number(arg('prompt', '128'));
  const prompt = expected ? expected.input_ids : Array.from({ length: promptLen }, (_, i) => (i * 7919 + 13) % model.vocab);

  const argmax = (a: Float32Array) => a.reduce((b, v, i) => (v > a[b] ? i : b), 0);
  // One warm-up pass (pipelines are compiled at create; the first dispatches still pay driver setup).
  await model.prefill(prompt.slice(0, Math.min(8, prompt.length)));
  model.reset();
  const p0 = performance.now();
  let logits = await model.prefill(prompt);
  const prefillSeconds = (performance.now() - p0) / 1000;
  const tokens: number[] = [argmax(logits)];
  const d0 = performance.now();
  for (let i = 1; i < decode; i++) {
    logits = (await model.forward([tokens[tokens.length - 1]])).logits;
    tokens.push(argmax(logits));
  }
  const decodeSeconds = (performance.now() - d0) / 1000;
  const want = expected?.greedy.slice(0, tokens.length);
  console.log(
    JSON.stringify({
      model: random ? `random ${libFile}` : arg('dir'),
      quantization: lib.metadata.quantization,
      adapter: info.description,
      shader_f16: info.f16,
      load_seconds: +loadSeconds.toFixed(2),
      prompt_tokens: prompt.length,
      prefill_tok_s: +(prompt.length / prefillSeconds).toFixed(1),
      decode_tokens: decode - 1,
      decode_tok_s: +((decode - 1) / decodeSeconds).toFixed(1),
      ...(want && String(lib.metadata.quantization).startsWith('q0') ? { greedy_matches_transformers: want.every((t, i) => t === tokens[i]), tokens: tokens.length } : {}),
    }),
  );
  model.destroy();
  device.destroy();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
