import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compile } from '../compiler/compile';
import { genConfig } from '../gen-config/gen-config';
import { convertWeight } from '../weights/convert';
import { validate } from './validate';
import { whyNoCompiler } from './test-support/build-bigram-library';

/**
 * End to end through the real stages: gen-config → convert-weight → compile (cpu, g++) → validate against
 * transformers' outputs (fixtures/hf-tiny/<arch>/expected.safetensors, examples/pycode-6m/expected.safetensors).
 * One thread per instance: on a loaded 2-core machine a multi-threaded decode step is at the mercy of the scheduler.
 */

const ROOT = path.resolve(__dirname, '../..');
const noCompiler = whyNoCompiler();
if (noCompiler) console.log(`skipping end-to-end runtime tests: ${noCompiler}`);
const describeIf = noCompiler ? describe.skip : describe;

let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'nxmlc-e2e-'));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

type RopeDtype = 'float32' | 'bfloat16' | 'float16';

async function build(src: string, quantization: string, convTemplate: string, rope: RopeDtype = 'float32'): Promise<{ out: string; lib: string }> {
  const out = path.join(work, `${path.basename(src)}-${quantization}`);
  genConfig({ source: src, quantization, convTemplate, output: out });
  await convertWeight({ source: src, quantization, output: out, threads: 1 });
  const { library } = compile({ chatConfigPath: out, device: 'cpu', output: path.join(out, 'model-cpu.so'), ropeInvFreqDtype: rope });
  return { out, lib: library };
}

// transformers rounds RoPE inverse frequencies to the checkpoint dtype when it loads a model in that dtype (as
// hf-tiny's references were made); MLC computes them in float32. Compiling with the checkpoint's dtype compares
// like with like (see core/reference/fixtures.test.ts); the float32 default would add 1e-3..5e-3 of drift.
describeIf.each([
  ['llama', 'bfloat16'],
  ['mistral', 'bfloat16'],
  ['qwen2', 'bfloat16'],
  ['qwen3', 'bfloat16'],
  ['phi3', 'bfloat16'],
] as [string, RopeDtype][])('hf-tiny %s, q0f32, cpu', (arch, rope) => {
  it('logits within 1e-3 of transformers and greedy tokens identical', async () => {
    const src = path.join(ROOT, 'fixtures/hf-tiny', arch);
    expect(JSON.parse(fs.readFileSync(path.join(src, 'config.json'), 'utf8')).dtype).toBe(rope);
    const { out, lib } = await build(src, 'q0f32', 'LM', rope);
    const json = path.join(out, 'validate.json');
    const { report } = await validate({ modelDir: out, modelLib: lib, device: 'cpu', reference: path.join(src, 'expected.safetensors'), json, numThreads: 1 });
    expect(report.reference!.max_abs_logit_error).toBeLessThan(1e-3);
    expect(report.reference!.argmax_agreement).toBe(1);
    expect(report.reference!.greedy_match).toBe(true);
    expect(report.ok).toBe(true);
    expect(JSON.parse(fs.readFileSync(json, 'utf8'))).toEqual(report);
  });
});

describeIf('hf-tiny llama-tied (float16 checkpoint), q0f32, cpu', () => {
  it('greedy identical; logits only within 5e-2 because MLC stores float32 params as bf16 (spec §4.4), which drops f16 mantissa bits', async () => {
    const src = path.join(ROOT, 'fixtures/hf-tiny/llama-tied');
    const { out, lib } = await build(src, 'q0f32', 'LM', 'float16');
    const { report } = await validate({ modelDir: out, modelLib: lib, device: 'cpu', reference: path.join(src, 'expected.safetensors'), numThreads: 1 });
    expect(report.reference!.greedy_match).toBe(true);
    expect(report.reference!.max_abs_logit_error).toBeGreaterThan(1e-3);
    expect(report.reference!.max_abs_logit_error).toBeLessThan(5e-2);
    expect(report.ok).toBe(false); // honest: the q0f32 contract (1e-3) cannot hold for an f16 checkpoint
  });
});

// gemma2 is not run: MLC's Gemma2Config sets context_window_size = sliding_window (8 in the fixture), so the
// 24 + 16 positions of the reference do not fit; validate refuses that with an error (tested with the bigram model).

describeIf('demo model examples/pycode-6m on cpu', () => {
  const DEMO = path.join(ROOT, 'examples/pycode-6m');
  const PROMPT = 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""';

  it('q0f32: logits match, the 48 greedy tokens equal the reference and decode to the README continuation', async () => {
    const { out, lib } = await build(DEMO, 'q0f32', 'LM');
    const r = await validate({
      modelDir: out, modelLib: lib, device: 'cpu', reference: path.join(DEMO, 'expected.safetensors'),
      prompt: PROMPT, maxTokens: 48, numThreads: 1,
    });
    expect(r.report.ok).toBe(true);
    expect(r.report.reference!.max_abs_logit_error).toBeLessThan(1e-3);
    expect(r.report.reference!.greedy_match).toBe(true);
    // The raw-text prompt run (no template, greedy) must reproduce the continuation quoted in the demo README.
    expect(r.text).toBe(
      '\n    return n.bit_length()\n\n\ndef fibonacci_number(n):\n    """Return the number of fibonacci numbers in the n-th Fibonacci\n    number.\n\n    Examples',
    );
    expect(r.report.decode_tok_s).toBeGreaterThan(0);
  });

  it('q4f16_1: still writes recognisable Python', async () => {
    const { out, lib } = await build(DEMO, 'q4f16_1', 'LM');
    const r = await validate({ modelDir: out, modelLib: lib, device: 'cpu', prompt: 'import os\n\n\ndef list_files(path):', maxTokens: 40, numThreads: 1 });
    const text = r.text!;
    // An indented body with Python keywords, and balanced enough to be code rather than noise.
    expect(text).toMatch(/^\n {4}\S/);
    expect(text).toMatch(/\b(return|for|if|in|os\.)\b/);
    expect(text.split('\n').filter((l) => /^( {4})+\S/.test(l)).length).toBeGreaterThanOrEqual(2);
  });
});
