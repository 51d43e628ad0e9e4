import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { chat } from './chat';
import { whyNoCompiler } from './test-support/build-bigram-library';
import { makeBigramModel, BigramModel } from './test-support/bigram-model-dir';

const noCompiler = whyNoCompiler();
if (noCompiler) console.log(`skipping chat tests: ${noCompiler}`);
const describeIf = noCompiler ? describe.skip : describe;

const TEXT = 'def greet(name):\n    print("hi", name)  # ✓ ok';

async function session(m: BigramModel, lines: string[], extra: Partial<Parameters<typeof chat>[0]> = {}): Promise<string> {
  const input = new PassThrough();
  const output = new PassThrough();
  let out = '';
  output.on('data', (d) => (out += d.toString()));
  const done = chat({ modelDir: m.modelDir, modelLib: m.lib, input, output, sampling: { temperature: 0 }, ...extra });
  input.end(lines.map((l) => `${l}\n`).join(''));
  await done;
  return out;
}

describeIf('chat on the bigram test model', () => {
  let root: string;
  let m: BigramModel;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nxmlc-chat-'));
    m = makeBigramModel(root, TEXT);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('streams the reply, shows stats, resets and exits', async () => {
    const out = await session(m, ['def greet(name):', '/stats', '/reset', '/stats', '/exit', 'never read']);
    const turns = out.split('>>> ');
    expect(turns[0]).toMatch(/^nx-mlc chat: bigram q0f32, template LM, context 64\. Commands:/);
    expect(turns[1]).toBe('\n    print("hi", name)  # ✓ ok\n');
    // 7 prompt tokens (def Ġg re et ( name ):); 14 reply tokens then eos, so 14 decode calls.
    expect(turns[2]).toMatch(/^prefill: 7 tok, \d+\.\d tok\/s; decode: 14 tok, \d+\.\d tok\/s\n$/);
    expect(turns[3]).toBe('(conversation reset)\n');
    expect(turns[4]).toMatch(/^prefill: 7 tok/); // the stats of the last reply survive /reset
    expect(turns.length).toBe(6); // nothing after /exit
  });

  it('keeps the conversation: the second turn sees the first (LM template: plain concatenation)', async () => {
    // Turn 2's prompt is turn 1 + reply + 'def'; the bigram continues after 'def' with its chain.
    const out = await session(m, ['def greet(name):', 'def'], { maxTokens: 3 });
    const turns = out.split('>>> ');
    expect(turns[1]).toBe('\n    print("\n');
    expect(turns[2]).toBe(' greet\n'); // ' g', 're', 'et'
  });

  it('a turn that cannot fit the context window asks for /reset instead of failing', async () => {
    const long = Array.from({ length: 80 }, () => 'def').join(' ');
    const out = await session(m, [long, 'def greet(name):']);
    expect(out).toMatch(/needs \d+ tokens but the context window holds 64; use \/reset/);
    expect(out).toContain('\n    print("hi", name)  # ✓ ok\n');
  });

  it('unknown commands get the help text', async () => {
    expect(await session(m, ['/nope'])).toContain('Unknown command /nope. Commands:');
  });
});
