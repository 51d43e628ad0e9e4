import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Session } from './generate';
import { openModel, OpenModel } from './open-model';
import { whyNoCompiler } from './test-support/build-bigram-library';
import { biasValues, makeBigramModel, V } from './test-support/bigram-model-dir';

const noCompiler = whyNoCompiler();
if (noCompiler) console.log(`skipping generation tests: ${noCompiler}`);
const describeIf = noCompiler ? describe.skip : describe;

const TEXT = 'def greet(name):\n    print("hi", name)  # ✓ ok'; // distinct tokens; ✓ spans three byte tokens
const greedy = { temperature: 0, top_p: 1, repetition_penalty: 1, presence_penalty: 0, frequency_penalty: 0 };

/** bf16 rounding (RNE) written out from the definition, to check f32-to-bf16 decoding independently. */
function bf16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  const r = ((u[0] + 0x7fff + ((u[0] >>> 16) & 1)) >>> 16) << 16;
  return new Float32Array(new Uint32Array([r]).buffer)[0];
}

describeIf('generation on the bigram test model', () => {
  let root: string;
  let model: OpenModel;
  let chain: number[];
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nxmlc-gen-'));
    const m = makeBigramModel(root, TEXT);
    chain = m.chain;
    model = openModel({ modelDir: m.modelDir, modelLib: m.lib });
  });
  afterAll(() => {
    model?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('loads params by name, decoding float32 from bf16 storage', () => {
    const s = new Session(model);
    s.reset();
    const logits = s.prefill([chain[0]]);
    const bias = biasValues();
    for (const j of [0, 1, 7, 99, 4095]) {
      const expected = bf16(bias[j]) + (j === chain[1] ? 4 : 0);
      expect(logits[j]).toBeCloseTo(expected, 6);
    }
    expect(logits[5]).toBe(bf16(bias[5])); // exact: bf16 values widen exactly to float32
  });

  it('greedy generation walks the chain, streams it and stops at eos', async () => {
    const s = new Session(model);
    const pieces: string[] = [];
    const r = await s.generate({ promptTokens: [chain[0]], maxTokens: 100, sampling: greedy, stopTokenIds: [0], onText: (t) => pieces.push(t) });
    expect(r.tokens).toEqual([...chain.slice(1), 0]);
    expect(r.finishReason).toBe('stop');
    const first = model.tokenizer!.decode([chain[0]]);
    expect(first + r.text).toBe(TEXT);
    expect(pieces.join('')).toBe(r.text);
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.some((p) => p.includes('\uFFFD'))).toBe(false); // ✓ arrives whole although split over 3 tokens
    expect(r.prefillTokens).toBe(1);
    expect(r.decodeTokens).toBe(chain.length - 1);
    expect(r.decodeTokS).toBeGreaterThan(0);
  });

  it('stops after max tokens', async () => {
    const s = new Session(model);
    const r = await s.generate({ promptTokens: [chain[0]], maxTokens: 3, sampling: greedy, stopTokenIds: [0] });
    expect(r.tokens).toEqual(chain.slice(1, 4));
    expect(r.finishReason).toBe('length');
  });

  it('cuts at a stop string and never shows it', async () => {
    const s = new Session(model);
    const shown: string[] = [];
    const r = await s.generate({ promptTokens: [chain[0]], maxTokens: 100, sampling: greedy, stopStrings: ['print'], onText: (t) => shown.push(t) });
    expect(r.finishReason).toBe('stop');
    expect(r.text).toBe(TEXT.slice(model.tokenizer!.decode([chain[0]]).length, TEXT.indexOf('print')));
    expect(shown.join('')).not.toContain('pr');
  });

  it('reuses the KV cache when the new prompt extends what it holds', async () => {
    const s = new Session(model);
    const a = await s.generate({ promptTokens: chain.slice(0, 2), maxTokens: 1, sampling: greedy });
    expect(a.prefillTokens).toBe(2);
    expect(s.kvTokens).toEqual(chain.slice(0, 2));
    const b = await s.generate({ promptTokens: chain.slice(0, 5), maxTokens: 1, sampling: greedy });
    expect(b.prefillTokens).toBe(3);
    expect(b.tokens).toEqual([chain[5]]);
    const c = await s.generate({ promptTokens: chain.slice(0, 2), maxTokens: 1, sampling: greedy });
    expect(c.prefillTokens).toBe(2); // not a prefix: the cache was reset
    expect(model.instance.seqLen()).toBe(2);
  });

  it('prefills long prompts in chunks and refuses prompts beyond the context window', () => {
    const s = new Session(model);
    s.reset();
    const long = Array.from({ length: 40 }, (_, i) => chain[i % chain.length]);
    const all = s.prefill(long, true);
    expect(all.length).toBe(40 * V);
    expect(model.instance.seqLen()).toBe(40); // three chunks of ≤16
    expect(() => s.prefill(new Array(30).fill(chain[0]))).toThrow(/needs 70 tokens but the context window holds 64/);
  });

  it('ends with finishReason context when the window fills during decoding', async () => {
    const s = new Session(model);
    const prompt = new Array(62).fill(chain[0]);
    const r = await s.generate({ promptTokens: prompt, maxTokens: 10, sampling: greedy });
    expect(r.finishReason).toBe('context');
    expect(r.tokens.length).toBe(3);
  });

  it('sampling with a seed is reproducible', async () => {
    const run = async (seed: number) =>
      (await new Session(model).generate({ promptTokens: [chain[0]], maxTokens: 8, sampling: { ...greedy, temperature: 5 }, seed })).tokens;
    expect(await run(3)).toEqual(await run(3));
  });
});
