/**
 * compile --device webgpu: the artifact on disk (module + manifest, atomically), what it records, and the
 * errors. Whether the shaders compute the right thing is core/webgpu's tests (Dawn, Chromium).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { genConfig } from '../gen-config/gen-config';
import { compileWebgpu, lowerToWebgpu } from './compile-webgpu';
import { isWebgpuDevice, WEBGPU_TARGET } from './targets-webgpu';
import { parseWebgpuLibrary, WEBGPU_ABI_VERSION } from '../webgpu/artifact';
import { NxMlcError } from '../support/errors';

const ROOT = path.resolve(__dirname, '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-compile-webgpu-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function config(fixture: string, quantization: string): string {
  const dir = path.join(work, `${fixture}-${quantization}`);
  genConfig({ source: path.join(ROOT, 'fixtures/hf-tiny', fixture), quantization, convTemplate: 'LM', output: dir });
  return dir;
}

describe('compile --device webgpu', () => {
  it('writes <lib>.mjs (an ES module of data) and <lib>.mjs.json, and nothing else', () => {
    const dir = config('qwen3', 'q4f16_1');
    const out = path.join(work, 'out');
    const res = compileWebgpu({ chatConfigPath: dir, device: 'webgpu', output: path.join(out, 'qwen3-webgpu.wasm'), overrides: 'context_window_size=128' });
    // MLC's webgpu libraries are .wasm; ours is a module, so the name says so.
    expect(res.library).toBe(path.join(out, 'qwen3-webgpu.mjs'));
    expect(fs.readdirSync(out).sort()).toEqual(['qwen3-webgpu.mjs', 'qwen3-webgpu.mjs.json']);
    const text = fs.readFileSync(res.library, 'utf8');
    expect(text).toMatch(/^\/\/ nx-mlc webgpu library/);
    expect(text).toMatch(/\nexport default \{/);
    const lib = parseWebgpuLibrary(text);
    expect(lib.abi_version).toBe(WEBGPU_ABI_VERSION);
    expect(lib.metadata).toMatchObject({ target: 'webgpu', model_type: 'qwen3', quantization: 'q4f16_1', context_window_size: 128 });
    const manifest = JSON.parse(fs.readFileSync(res.manifest, 'utf8'));
    expect(manifest.build.device).toBe('webgpu');
    expect(manifest.model_config_hash).toBe(lib.metadata.model_config_hash);
    // Every kernel the steps name exists, with the WGSL of each 16-bit mode it needs.
    for (const s of lib.steps) {
      for (const name of [s.kernel, s.single].filter((x): x is string => !!x)) {
        const k = lib.kernels[name];
        expect(k).toBeDefined();
        expect(k.code.packed).not.toContain('enable f16');
        expect(k.code.packed).toContain('@compute @workgroup_size(64)');
        if (k.bindings.some((b) => b.t === 'f16')) expect(k.code.native).toMatch(/^enable f16;/);
        else expect(k.code.native).toBeUndefined();
      }
    }
    // q/k norms on the fused qkv in place, and the head's kernels, are there; the kernel hashes cover them all.
    expect(Object.keys(lib.kernels).some((n) => n.startsWith('qk_norm_f16'))).toBe(true);
    expect(Object.keys(lib.metadata.kernels as object).sort()).toEqual(Object.keys(lib.kernels).sort());
  });

  it('binds one buffer once: an in-place step gets a kernel variant with the names merged', () => {
    const { library } = lowerToWebgpu(config('gemma2', 'q0f32'), { context_window_size: 64 });
    // gemma2's sandwich norm normalises `o` in place.
    const inPlace = Object.entries(library.kernels).find(([n]) => n.startsWith('rms_norm_') && n.endsWith('__y_as_x'));
    expect(inPlace).toBeDefined();
    expect(inPlace![1].bindings.map((b) => [b.name, b.access])).toEqual([['x', 'inout'], ['w', 'in']]);
    expect(inPlace![1].uniforms).toEqual(['n', 'o_x', 'o_w', 'o_y']);
  });

  it('is deterministic: the same config gives the same bytes', () => {
    const dir = config('llama', 'q4f16_1');
    expect(lowerToWebgpu(dir, {}).module).toBe(lowerToWebgpu(dir, {}).module);
  });

  it('recognises its --device spellings and refuses others and bad --opt', () => {
    expect(isWebgpuDevice('webgpu')).toBe(true);
    expect(isWebgpuDevice('WebGPU:generic')).toBe(true);
    expect(isWebgpuDevice('cuda')).toBe(false);
    expect(WEBGPU_TARGET).toMatchObject({ name: 'webgpu', language: 'WGSL', built: true, extension: '.mjs' });
    const dir = config('llama', 'q0f32');
    expect(() => compileWebgpu({ chatConfigPath: dir, device: 'cuda', output: path.join(work, 'x.mjs') })).toThrow(NxMlcError);
    expect(() => compileWebgpu({ chatConfigPath: dir, device: 'webgpu', opt: 'O7', output: path.join(work, 'x.mjs') })).toThrow(/unsupported --opt/);
    expect(fs.existsSync(path.join(work, 'x.mjs'))).toBe(false);
  });
});
