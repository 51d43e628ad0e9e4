/**
 * compile(): config resolution, target registry, manifest contents and the failure modes a user meets.
 * (Numerics are in cpu-library.test.ts and conformance/.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { genConfig } from '../gen-config/gen-config';
import { compile, lowerToCpp } from './compile';
import { parseOverrides } from './config';
import { resolveDevice, TARGETS } from './targets';
import { findGxx } from './toolchain/gxx';
import { NxMlcError } from '../support/errors';

const ROOT = path.resolve(__dirname, '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-compile-test-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function chatConfig(fixture: string, quantization: string): string {
  const out = path.join(work, `${fixture}-${quantization}`);
  if (!fs.existsSync(path.join(out, 'mlc-chat-config.json'))) {
    genConfig({ source: path.join(ROOT, 'fixtures/hf-tiny', fixture), quantization, convTemplate: 'LM', output: out });
  }
  return out;
}

function nxError(fn: () => unknown): NxMlcError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NxMlcError);
    return e as NxMlcError;
  }
  throw new Error('expected an NxMlcError');
}

describe('target registry', () => {
  it('cpu and its MLC alias llvm resolve; cpu:native asks for -march=native', () => {
    expect(resolveDevice('cpu').target.name).toBe('cpu');
    expect(resolveDevice('llvm').target.name).toBe('cpu');
    expect(resolveDevice('cpu:native').variant).toBe('native');
    expect(resolveDevice('cpu').variant).toBe('portable');
    expect(resolveDevice('cpu:avx512').variant).toBe('avx512');
  });

  it('cuda (any spelling) and webgpu resolve to their own targets', () => {
    expect(resolveDevice('cuda').target.name).toBe('cuda');
    expect(resolveDevice('cuda:0').target.name).toBe('cuda');
    expect(resolveDevice('cuda:sm_90').target.name).toBe('cuda');
    expect(resolveDevice('webgpu').target.name).toBe('webgpu');
  });

  it.each(['metal', 'vulkan', 'rocm', 'iphone', 'android'])('%s is recognised but not built yet', (d) => {
    const e = nxError(() => resolveDevice(d));
    expect(e.message).toMatch(/not built yet/);
    expect(e.field).toBe('device');
  });

  it('an unknown device lists the valid ones', () => {
    const e = nxError(() => resolveDevice('tpu'));
    expect(e.fix).toContain('llvm');
    expect(TARGETS.filter((t) => t.built).map((t) => t.name)).toEqual(['cpu', 'cuda', 'webgpu']);
  });

  it('a not-built target writes nothing', () => {
    const out = path.join(work, 'metal', 'model.dylib');
    nxError(() => compile({ chatConfigPath: chatConfig('llama', 'q4f16_1'), device: 'metal', output: out }));
    expect(fs.existsSync(path.dirname(out))).toBe(false);
  });
});

describe('config resolution', () => {
  it('parses MLC --overrides and rejects unknown keys', () => {
    expect(parseOverrides('context_window_size=4096;prefill_chunk_size=512')).toEqual({ context_window_size: 4096, prefill_chunk_size: 512 });
    expect(nxError(() => parseOverrides('context_window=4096')).field).toBe('overrides');
  });

  it('top-level keys override model_config, overrides win, prefill is clamped to the context', () => {
    const dir = path.join(work, 'resolution');
    fs.mkdirSync(dir, { recursive: true });
    const base = JSON.parse(fs.readFileSync(path.join(chatConfig('llama', 'q0f32'), 'mlc-chat-config.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'mlc-chat-config.json'), JSON.stringify({ ...base, context_window_size: 128, prefill_chunk_size: 100 }));
    const a = lowerToCpp(dir, {});
    expect(a.metadata.context_window_size).toBe(128);
    expect(a.metadata.prefill_chunk_size).toBe(100);
    const b = lowerToCpp(dir, { context_window_size: 64 });
    expect(b.metadata.context_window_size).toBe(64);
    expect(b.metadata.prefill_chunk_size).toBe(64);
    expect(b.metadata.model_config_hash).not.toBe(a.metadata.model_config_hash);
  });

  it('lowering is deterministic', () => {
    const dir = chatConfig('qwen3', 'q4f16_1');
    expect(lowerToCpp(dir, {}).source).toBe(lowerToCpp(dir, {}).source);
  });

  it('a missing config names the file; an unsupported model_type names the field', () => {
    expect(nxError(() => lowerToCpp(path.join(work, 'nope'), {})).file).toContain('mlc-chat-config.json');
    const dir = path.join(work, 'bad-type');
    fs.mkdirSync(dir, { recursive: true });
    const base = JSON.parse(fs.readFileSync(path.join(chatConfig('llama', 'q0f32'), 'mlc-chat-config.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'mlc-chat-config.json'), JSON.stringify({ ...base, model_type: 'rwkv6' }));
    expect(nxError(() => lowerToCpp(dir, {})).field).toBe('model_type');
    fs.writeFileSync(path.join(dir, 'mlc-chat-config.json'), JSON.stringify({ ...base, quantization: 'q4f16_ft' }));
    expect(nxError(() => lowerToCpp(dir, {})).field).toBe('quantization');
    fs.writeFileSync(path.join(dir, 'mlc-chat-config.json'), JSON.stringify(base));
    expect(nxError(() => lowerToCpp(dir, { tensor_parallel_shards: 2 })).field).toBe('tensor_parallel_shards');
  });
});

describe('library params follow MLC names and shapes (spec §5.3, §6.2)', () => {
  it('llama q4f16_1: fused qkv/gate_up, NK packing, untied lm_head quantised', () => {
    const { metadata } = lowerToCpp(chatConfig('llama', 'q4f16_1'), {});
    const params = new Map((metadata.params as { name: string; shape: number[]; dtype: string }[]).map((p) => [p.name, p]));
    // hidden 64, 4 heads + 2x2 kv heads of 16 -> qkv rows 128; K=64 -> 8 words, 2 groups.
    expect(params.get('model.layers.0.self_attn.qkv_proj.q_weight')).toEqual({ name: 'model.layers.0.self_attn.qkv_proj.q_weight', shape: [128, 8], dtype: 'uint32' });
    expect(params.get('model.layers.0.self_attn.qkv_proj.q_scale')?.shape).toEqual([128, 2]);
    expect(params.get('model.layers.1.mlp.gate_up_proj.q_weight')?.shape).toEqual([384, 8]);
    expect(params.get('model.layers.1.mlp.down_proj.q_weight')?.shape).toEqual([64, 24]);
    expect(params.get('model.embed_tokens.q_weight')?.shape).toEqual([512, 8]);
    expect(params.get('lm_head.q_weight')?.shape).toEqual([512, 8]);
    expect(params.get('model.norm.weight')).toEqual({ name: 'model.norm.weight', shape: [64], dtype: 'float16' });
  });

  it('q4f16_0 transposes linears (KN) but not the embedding; phi3 uses transformer.* names', () => {
    const kn = lowerToCpp(chatConfig('qwen2', 'q4f16_0'), {}).metadata.params as { name: string; shape: number[] }[];
    expect(kn.find((p) => p.name === 'model.layers.0.self_attn.c_attn.q_weight')?.shape).toEqual([8, 128]);
    expect(kn.find((p) => p.name === 'model.layers.0.self_attn.c_attn.bias')?.shape).toEqual([128]);
    expect(kn.find((p) => p.name === 'model.embed_tokens.q_weight')?.shape).toEqual([512, 8]);
    expect(kn.some((p) => p.name.startsWith('lm_head'))).toBe(false); // tied
    const phi = lowerToCpp(chatConfig('phi3', 'q0f16'), {}).metadata.params as { name: string }[];
    expect(phi.map((p) => p.name)).toEqual(expect.arrayContaining(['transformer.embd.weight', 'transformer.h.0.mixer.qkv_proj.weight', 'transformer.h.1.ln.weight', 'transformer.norm.weight', 'lm_head.weight']));
  });
});

(findGxx() ? describe : describe.skip)('compile writes the library and its manifest atomically', () => {
  it('library + <lib>.json with metadata and the build command; no temp files left', () => {
    const outDir = path.join(work, 'out');
    const res = compile({ chatConfigPath: chatConfig('qwen3', 'q4f16_1'), device: 'llvm', opt: 'O2', output: path.join(outDir, 'qwen3-cpu.so') });
    expect(fs.existsSync(res.library)).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(res.manifest, 'utf8'));
    expect(manifest).toMatchObject({ abi_version: 1, model_type: 'qwen3', quantization: 'q4f16_1', target: 'cpu', vocab_size: 512 });
    expect(manifest.compiler_version).toMatch(/^nx-mlc \d+\.\d+\.\d+/);
    expect(Object.keys(manifest.kernels).length).toBeGreaterThan(5);
    for (const h of Object.values(manifest.kernels)) expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.build.command.join(' ')).toMatch(/-O3 .*-shared/);
    expect(manifest.build.toolchain).toMatch(/g\+\+|clang/);
    expect(fs.readdirSync(outDir).sort()).toEqual(['qwen3-cpu.so', 'qwen3-cpu.so.json']);
    // A second compile of the same inputs is a cache hit with the same library bytes.
    const again = compile({ chatConfigPath: chatConfig('qwen3', 'q4f16_1'), device: 'cpu', output: path.join(outDir, 'again.so') });
    expect(again.cacheHit).toBe(true);
    expect(fs.readFileSync(again.library).equals(fs.readFileSync(res.library))).toBe(true);
  });
});
