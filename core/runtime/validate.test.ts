import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeSafetensors } from '../hf/safetensors';
import { formatValidateReport, validate } from './validate';
import { whyNoCompiler } from './test-support/build-bigram-library';
import { biasValues, makeBigramModel, BigramModel, V } from './test-support/bigram-model-dir';
import { LM_TEMPLATE } from './test-support/write-model-dir';

const noCompiler = whyNoCompiler();
if (noCompiler) console.log(`skipping validate tests: ${noCompiler}`);
const describeIf = noCompiler ? describe.skip : describe;

const TEXT = 'def greet(name):\n    print("hi", name)  # ✓ ok';

function bf16(x: number): number {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0];
  return new Float32Array(new Uint32Array([((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) << 16]).buffer)[0];
}

/** Reference outputs of the bigram model computed from its definition (not by the runtime). */
function writeReference(file: string, chain: number[], T: number, tweak?: (logits: Float32Array, greedy: number[]) => void): void {
  const inputIds = chain.slice(0, T);
  const bias = biasValues().map(bf16);
  const logits = new Float32Array(T * V);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < V; j++) logits[t * V + j] = bias[j];
    logits[t * V + chain[t + 1]] += 4;
  }
  const greedy = chain.slice(T, T + 6);
  tweak?.(logits, greedy);
  const i64 = (xs: number[]) => new Uint8Array(BigInt64Array.from(xs.map(BigInt)).buffer);
  writeSafetensors(file, [
    { name: 'input_ids', dtype: 'I64', shape: [1, T], data: i64(inputIds) },
    { name: 'logits', dtype: 'F32', shape: [T, V], data: new Uint8Array(logits.buffer) },
    { name: 'greedy', dtype: 'I64', shape: [greedy.length], data: i64(greedy) },
  ]);
}

describeIf('validate on the bigram test model', () => {
  let root: string;
  let m: BigramModel;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nxmlc-validate-'));
    m = makeBigramModel(root, TEXT);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const base = () => ({ modelDir: m.modelDir, modelLib: m.lib, device: 'cpu' });

  it('passes against an exact reference and writes the report atomically with the exact keys', async () => {
    const ref = path.join(root, 'ref.safetensors');
    writeReference(ref, m.chain, 8);
    const json = path.join(root, 'out', 'report.json');
    const r = await validate({ ...base(), reference: ref, json });
    expect(r.report.ok).toBe(true);
    expect(r.report.reference).toEqual({
      max_abs_logit_error: 0,
      argmax_agreement: 1,
      greedy_match: true,
      greedy_tokens: m.chain.slice(8, 14),
    });
    const written = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(Object.keys(written)).toEqual(['ok', 'model_type', 'quantization', 'device', 'reference', 'decode_tok_s', 'prefill_tok_s']);
    expect(Object.keys(written.reference)).toEqual(['max_abs_logit_error', 'argmax_agreement', 'greedy_match', 'greedy_tokens']);
    expect(written).toMatchObject({ ok: true, model_type: 'bigram', quantization: 'q0f32', device: 'cpu' });
    expect(written.prefill_tok_s).toBeGreaterThan(0);
    expect(written.decode_tok_s).toBeGreaterThan(0);
    expect(fs.readdirSync(path.dirname(json))).toEqual(['report.json']);
    expect(r.text).toBeNull(); // reference only: no prompt ran
  });

  it('fails when logits drift beyond the q0f32 tolerance (1e-3), passes with an override', async () => {
    const ref = path.join(root, 'drift.safetensors');
    writeReference(ref, m.chain, 8, (logits) => (logits[3 * V + 17] += 0.01));
    const strict = await validate({ ...base(), reference: ref });
    expect(strict.report.ok).toBe(false);
    expect(strict.report.reference!.max_abs_logit_error).toBeCloseTo(0.01, 5);
    expect(strict.report.reference!.argmax_agreement).toBe(1);
    const loose = await validate({ ...base(), reference: ref, tolerance: 0.05 });
    expect(loose.report.ok).toBe(true);
  });

  it('reports argmax disagreement and greedy mismatch', async () => {
    const ref = path.join(root, 'wrong.safetensors');
    writeReference(ref, m.chain, 8, (logits, greedy) => {
      logits[2 * V + 5] = 100; // row 2 now prefers token 5
      greedy[4] = 5;
    });
    const r = await validate({ ...base(), reference: ref, tolerance: 1000 });
    expect(r.report.reference!.argmax_agreement).toBeCloseTo(7 / 8, 10);
    expect(r.report.reference!.greedy_match).toBe(false);
    expect(r.report.reference!.greedy_tokens).toEqual(m.chain.slice(8, 14));
    expect(r.report.ok).toBe(false);
    expect(formatValidateReport(r.report, r)).toMatch(/^FAIL {2}bigram q0f32 on cpu[\s\S]*argmax agreement {4}87.5 %[\s\S]*greedy tokens {7}differ/);
  });

  it('runs a raw-text prompt greedily and streams it', async () => {
    const streamed: string[] = [];
    const r = await validate({ ...base(), prompt: 'def greet(name):', maxTokens: 50, onText: (t) => streamed.push(t) });
    expect(r.text).toBe('\n    print("hi", name)  # ✓ ok');
    expect(streamed.join('')).toBe(r.text);
    expect(r.report.reference).toBeNull();
    expect(r.report.ok).toBe(true);
    const shown = formatValidateReport(r.report, r);
    expect(shown).toContain('output              "\\n    print(\\"hi\\", name)  # ✓ ok"');
    expect(shown).toMatch(/decode +\d+\.\d tok\/s/);
  });

  it('with template: system_prefix_token_ids come first and the template stop strings apply', async () => {
    const t = makeBigramModel(path.join(root, 'templated'), TEXT, {
      libPath: m.lib,
      config: { conv_template: { ...LM_TEMPLATE, system_prefix_token_ids: [m.chain[0]], stop_token_ids: [], stop_str: ['print'] } },
    });
    // prefix 'def' + ' greet(name):' is the chain's first 7 tokens; the continuation stops before 'print'.
    const r = await validate({ modelDir: t.modelDir, modelLib: t.lib, device: 'cpu', prompt: ' greet(name):', template: true });
    expect(r.text).toBe('\n    ');
    const raw = await validate({ modelDir: t.modelDir, modelLib: t.lib, device: 'cpu', prompt: 'def greet(name):' });
    expect(raw.text).toBe('\n    print("hi", name)  # ✓ ok'); // raw text: no prefix ids, no stop strings
  });

  it('max tokens bounds the output', async () => {
    const r = await validate({ ...base(), prompt: 'def greet(name):', maxTokens: 2 });
    expect(r.text).toBe('\n    print');
  });

  it('refuses a reference longer than the context window (as for gemma2, whose window is its sliding window)', async () => {
    const ref = path.join(root, 'long.safetensors');
    const long = Array.from({ length: 70 }, (_, i) => m.chain[i % m.chain.length]);
    writeReference(ref, long, 60);
    await expect(validate({ ...base(), reference: ref })).rejects.toThrow(/needs 66 positions but the context window holds 64/);
  });

  it('refuses a device the runtime cannot run', async () => {
    await expect(validate({ ...base(), device: 'cuda' })).rejects.toThrow(/cannot run device "cuda"/);
  });

  it('refuses a reference of another vocabulary', async () => {
    const ref = path.join(root, 'v.safetensors');
    const i64 = new Uint8Array(BigInt64Array.from([1n, 2n]).buffer);
    writeSafetensors(ref, [
      { name: 'input_ids', dtype: 'I64', shape: [1, 2], data: i64 },
      { name: 'logits', dtype: 'F32', shape: [2, 10], data: new Uint8Array(80) },
    ]);
    await expect(validate({ ...base(), reference: ref })).rejects.toThrow(/vocabulary 10 but the library has 4096/);
  });
});
