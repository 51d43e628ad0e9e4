/**
 * The cuda target without a GPU: the device grammar, fast-path selection, and a real nvcc build of an hf-tiny
 * model whose library exports the C ABI, carries the right metadata and fails cleanly where no GPU exists.
 * Running it on a GPU is bench/cuda/run-on-device.sh (results in bench/RESULTS.md).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { genConfig } from '../gen-config/gen-config';
import { compileCuda, lowerToCuda } from './compile-cuda';
import { lowerToCpp } from './compile';
import { parseCudaDevice, DEFAULT_CUDA_ARCHS } from './targets-cuda';
import { findNvcc, gencodeFlags } from './toolchain/nvcc';
import { gemvRowsPerWarp, gemvQ4hRowsPerWarp } from './render/library-cuda';
import { NxMlcError } from '../support/errors';

const FIXTURE = path.join(__dirname, '..', '..', 'fixtures', 'hf-tiny', 'llama');
let work: string;

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-cuda-test-'));
  genConfig({ source: FIXTURE, quantization: 'q4f16_1', convTemplate: 'LM', output: path.join(work, 'q4') });
  genConfig({ source: path.join(__dirname, '..', '..', 'fixtures', 'hf-tiny', 'gemma2'), quantization: 'q0f16', convTemplate: 'LM', output: path.join(work, 'gemma2') });
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('--device grammar', () => {
  it('cuda means the default architectures, cuda:sm_90 narrows, cuda:0 is an index', () => {
    expect(parseCudaDevice('cuda').archs).toEqual(['sm_80', 'sm_86', 'sm_89', 'sm_90']);
    expect(parseCudaDevice('cuda:0').archs).toEqual(DEFAULT_CUDA_ARCHS);
    expect(parseCudaDevice('CUDA:sm_90').archs).toEqual(['sm_90']);
    expect(parseCudaDevice('cuda:sm_80,sm_90').archs).toEqual(['sm_80', 'sm_90']);
  });
  it('rejects an unknown architecture naming the field and the fix', () => {
    let err: unknown;
    try {
      parseCudaDevice('cuda:sm_61');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NxMlcError);
    expect(String((err as Error).message)).toMatch(/sm_61/);
    expect((err as NxMlcError).field ?? '').toBe('device');
  });
  it('embeds machine code per architecture plus PTX of the newest', () => {
    expect(gencodeFlags(['sm_80', 'sm_90'])).toEqual([
      '-gencode', 'arch=compute_80,code=sm_80', '-gencode', 'arch=compute_90,code=sm_90', '-gencode', 'arch=compute_90,code=compute_90',
    ]);
  });
});

describe('rendering', () => {
  it('uses the hand-written fast paths for every matmul, attention and norm of a q4f16_1 llama (O2, the default)', () => {
    const { source, plan } = lowerToCuda(path.join(work, 'q4'), { context_window_size: 256 });
    // No generic launcher is emitted for the hot kernels: a renamed kernel would silently fall back to the slow path.
    expect(source).not.toMatch(/static void L_(matmul|gemv|attention|rms_norm)_/);
    // Second-generation kernels, launched with programmatic dependent launch where they wait for their inputs.
    expect(source).toMatch(/nx_launch_pdl\(nx_gemv_q4h<128, 64, NX_F16, -1, 1, 0>/); // qkv: (4 + 2*2) heads * 16 rows, K = 64
    expect(source).toMatch(/nx_launch_pdl\(nx_gemv_q4h<192, 64, NX_F16, -1, 1, 1>/); // gate_up + silu, intermediate 192
    expect(source).toMatch(/nx_mm_q4_launch<128, 64, NX_F16, -1>/); // prefill on mma.sync
    expect(source).toMatch(/nx_launch_pdl\(nx_attn_decode<4, 2, 16, 0, false>/); // decode attention, combine fused
    expect(source).toMatch(/nx_attn_prefill_launch<4, 2, 16, 0, false>/); // prompts: tensor-core flash attention
    expect(source).toMatch(/nx_launch_pdl\(nx_rope_append<4, 2, 16, 16>/);
    expect(source).toMatch(/nx_launch_pdl\(nx_add_rmsnorm<64, NX_F16>/);
    expect(source).not.toMatch(/nx_gemv_qnk<|nx_mm_tc<|nx_attn_combine</);
    // The f16 activation workspace of the prefill matmuls: prefill_chunk_size x the widest K (intermediate 192).
    expect(source).toMatch(/nx_forward,\n {2}192,\n\};/);
    // One launch group per plan step, except the fused pairs (residual add + norm, gate_up + act, rope + append).
    expect(plan.steps.length).toBeGreaterThan(20);
    // O3 is O2 today.
    expect(lowerToCuda(path.join(work, 'q4'), { context_window_size: 256 }, 'O3').source).toBe(source);
  });

  it('O1 keeps the first-generation fast paths (the baseline of bench/RESULTS.md)', () => {
    const { source } = lowerToCuda(path.join(work, 'q4'), { context_window_size: 256 }, 'O1');
    expect(source).not.toMatch(/static void L_(matmul|gemv|attention|rms_norm)_/);
    expect(source).toMatch(/nx_gemv_qnk<128, 64, 4, 32, NX_F16, -1>/);
    expect(source).toMatch(/nx_gemv_qnk_glu<192, 64, 4, 32, NX_F16, 0>/);
    expect(source).toMatch(/nx_mm_tc<1, 128, 64, 4, 32, NX_F16, -1>/);
    expect(source).toMatch(/nx_attn_combine<16>/);
    expect(source).toMatch(/nx_add_rmsnorm<64, NX_F16><<</);
    expect(source).not.toMatch(/nx_launch_pdl|nx_gemv_q4h|nx_mm_q4_launch/);
    expect(source).toMatch(/nx_forward,\n {2}0,\n\};/); // no f16 workspace
  });

  it('gives a v3 GEMV one row per warp, two for long vocabularies with short rows (measured on an H100)', () => {
    expect(gemvQ4hRowsPerWarp(896, 896)).toBe(1);
    expect(gemvQ4hRowsPerWarp(14336, 4096)).toBe(1);
    expect(gemvQ4hRowsPerWarp(151936, 896)).toBe(2);
    expect(gemvQ4hRowsPerWarp(128256, 4096)).toBe(1);
  });

  it('gives a v2 GEMV as many rows per warp as still leave two blocks per H100 SM', () => {
    // blocks = ceil(n / (4 warps * r)) must reach 2 * 132 = 264.
    expect(gemvRowsPerWarp(896)).toBe(1);
    expect(gemvRowsPerWarp(2104)).toBe(1); // r = 2 would give 263 blocks
    expect(gemvRowsPerWarp(2105)).toBe(2); // 264 blocks
    expect(gemvRowsPerWarp(4096)).toBe(2); // r = 4 would give 256
    expect(gemvRowsPerWarp(4224)).toBe(4);
    expect(gemvRowsPerWarp(128256)).toBe(4);
  });

  it('renders every kernel generically at O0 (the bisection build)', () => {
    const { source } = lowerToCuda(path.join(work, 'q4'), { context_window_size: 256 }, 'O0');
    expect(source).not.toMatch(/nx_gemv_|nx_mm_tc|nx_attn|nx_rmsnorm|nx_add_rmsnorm/);
    expect(source).toMatch(/static void L_attention_hq4_hkv2_d16\(/);
  });

  it('gemma2 keeps its sliding window and soft-cap in the attention template', () => {
    const { source } = lowerToCuda(path.join(work, 'gemma2'), { context_window_size: 256 });
    expect(source).toMatch(/nx_attn_prefill_launch<4, 2, 16, 8, true>/);
    expect(source).toMatch(/nx_attn_prefill_launch<4, 2, 16, 0, true>/);
    expect(source).toMatch(/nx_attn_decode<4, 2, 16, 8, true>/);
    expect(lowerToCuda(path.join(work, 'gemma2'), { context_window_size: 256 }, 'O1').source).toMatch(/nx_attn<4, 2, 16, 8, true>/);
    expect(source).toMatch(/nx_mm_f16_launch</); // q0f16: dense f16 weights on mma.sync
  });

  it('declares the same parameters as the cpu target, with target "cuda" in the metadata', () => {
    const cuda = lowerToCuda(path.join(work, 'q4'), { context_window_size: 256 });
    const cpu = lowerToCpp(path.join(work, 'q4'), { context_window_size: 256 });
    expect(cuda.metadata.target).toBe('cuda');
    expect(cuda.metadata.params).toEqual(cpu.metadata.params);
    expect(cuda.metadata.model_config_hash).toBe(cpu.metadata.model_config_hash);
  });
});

const nvcc = findNvcc();
const describeNvcc = nvcc ? describe : describe.skip;
if (!nvcc) console.log('skipping the nvcc build test: nvcc not found (set NVCC or install the CUDA toolkit)');

describeNvcc('nvcc build (no GPU needed)', () => {
  it('builds a shared library exporting the C ABI, with its manifest, and reuses the build cache', () => {
    const out = path.join(work, 'lib', 'model-cuda.so');
    const r = compileCuda({ chatConfigPath: path.join(work, 'q4'), device: 'cuda:sm_90', output: out, overrides: 'context_window_size=256' });
    expect(fs.existsSync(out)).toBe(true);
    const manifest = JSON.parse(fs.readFileSync(r.manifest, 'utf8'));
    expect(manifest.target).toBe('cuda');
    expect(manifest.build.archs).toEqual(['sm_90']);
    const nm = spawnSync('nm', ['-D', '--defined-only', out], { encoding: 'utf8' });
    const exported = new Set(nm.stdout.split('\n').map((l) => l.trim().split(/\s+/).pop()));
    for (const sym of ['nxmlc_metadata', 'nxmlc_create', 'nxmlc_set_param', 'nxmlc_finalize', 'nxmlc_prefill', 'nxmlc_decode',
      'nxmlc_seq_len', 'nxmlc_reset', 'nxmlc_destroy', 'nxmlc_last_error', 'nxmlc_generate', 'nxmlc_decode_sample']) {
      expect(exported.has(sym)).toBe(true);
    }
    // cudart is static: the library needs no CUDA shared library at load time (the driver comes at run time).
    const ldd = spawnSync('ldd', [out], { encoding: 'utf8' });
    expect(ldd.stdout).not.toMatch(/libcudart|libcublas|libnvrtc|libcuda\.so/);
    // No GPU here: the metadata still reads (static data) and create fails with a message, not a crash.
    const koffi = require('koffi');
    const lib = koffi.load(out);
    const meta = JSON.parse(lib.func('const char *nxmlc_metadata()')());
    expect(meta.target).toBe('cuda');
    expect(meta.vocab_size).toBe(512);
    const hasGpu = fs.existsSync('/dev/nvidia0');
    if (!hasGpu) {
      const create = lib.func('void *nxmlc_create(int32_t, int32_t, _Out_ uint8_t *err, int32_t)');
      const err = Buffer.alloc(512);
      expect(create(0, 0, err, err.length)).toBeNull();
      expect(err.toString('utf8').replace(/\0.*$/s, '')).toMatch(/CUDA/);
    } else {
      console.log('a GPU is present: the no-GPU error path is not checked here');
    }
    const again = compileCuda({ chatConfigPath: path.join(work, 'q4'), device: 'cuda:sm_90', output: out, overrides: 'context_window_size=256' });
    expect(again.cacheHit).toBe(true);
  }, 180_000);

  it('builds the default --device cuda (sm_80, sm_86, sm_89, sm_90) with every second-generation kernel', () => {
    // gemma2 q0f16: dense f16 mma.sync matmuls, tensor-core prompt attention with sliding window and soft-cap,
    // decode attention, PDL launches — the sm_90-only instructions must be guarded for the older architectures.
    const out = path.join(work, 'lib', 'gemma2-cuda.so');
    const r = compileCuda({ chatConfigPath: path.join(work, 'gemma2'), device: 'cuda', output: out, overrides: 'context_window_size=256' });
    expect(JSON.parse(fs.readFileSync(r.manifest, 'utf8')).build.archs).toEqual(['sm_80', 'sm_86', 'sm_89', 'sm_90']);
    // The fat binary names each embedded architecture (a single-architecture build names only its own).
    const bytes = fs.readFileSync(out).toString('latin1');
    for (const sm of ['sm_80', 'sm_86', 'sm_89', 'sm_90']) expect(bytes).toContain(sm);
    const single = path.join(work, 'lib', 'model-cuda.so'); // the sm_90-only build of the previous test
    if (fs.existsSync(single)) expect(fs.readFileSync(single).toString('latin1')).not.toContain('sm_80');
  }, 300_000);
});
