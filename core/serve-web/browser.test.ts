/**
 * The WebGPU chat page in a real browser: headless Chromium (SwiftShader WebGPU) driven by playwright-core
 * loads `serve-web`'s page for the demo model (examples/pycode-6m), which fetches the library module, the
 * tokenizer and the weight shards (through the Cache API) and runs the TypeScript host.
 *  - q0f32: the page's greedy continuation of the reference prompt ids equals transformers' greedy tokens
 *    (expected.safetensors), and decodes to the same text; a reload takes the shards from the Cache API;
 *  - q4f16_1: typing the prompt and pressing Generate streams recognisable Python and shows tok/s;
 *    a screenshot is kept (tmp/webgpu-e2e/, path printed).
 * Skips with a printed reason where Chromium or playwright-core is missing (CI installs chromium: .ci/run).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { genConfig } from '../gen-config/gen-config';
import { convertWeight } from '../weights/convert';
import { compileWebgpu } from '../compiler/compile-webgpu';
import { readExpected } from '../reference/test-support/expected';
import { serveWeb, type ServeWebHandle } from './server';
import { loadTokenizer } from '../runtime/tokenizer';
import { promptTokens } from '../runtime/prompt';

const ROOT = path.resolve(__dirname, '../..');
const DEMO = path.join(ROOT, 'examples/pycode-6m');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'tmp', 'webgpu-e2e');
// environment.md §4.2: the flags that give headless Chromium a SwiftShader WebGPU adapter.
const CHROMIUM_ARGS = [
  '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--disable-dev-shm-usage', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader',
];

function skipReason(): string | null {
  if (!fs.existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
  try {
    require.resolve('playwright-core');
  } catch {
    return 'playwright-core is not installed';
  }
  return null;
}
const reason = skipReason();
if (reason) console.warn(`browser WebGPU tests skipped: ${reason}`);
const maybe = reason ? describe.skip : describe;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-webgpu-browser-'));

async function modelDir(quantization: string, convTemplate = 'LM', context = 128): Promise<string> {
  const dir = path.join(work, `pycode-6m-${quantization}-${convTemplate}`);
  genConfig({ source: DEMO, quantization, convTemplate, output: dir });
  await convertWeight({ source: DEMO, quantization, output: dir, threads: 1 });
  // A short context keeps the KV cache small; the library lives next to the weights, as serve-web finds it.
  compileWebgpu({ chatConfigPath: dir, device: 'webgpu', output: path.join(dir, `pycode-6m-${quantization}-webgpu.mjs`), overrides: `context_window_size=${context};prefill_chunk_size=32` });
  return dir;
}

interface PageApi {
  nxmlc: {
    ready: Promise<{ adapter: string; f16: boolean; loadSeconds: number }>;
    generate(o: { ids?: number[]; text?: string; maxTokens?: number; greedy?: boolean }): Promise<{ tokens: number[]; text: string; decodeTokPerSec: number; prompt: number[] }>;
  };
}

maybe('WebGPU chat page in headless Chromium (SwiftShader)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  let context: import('playwright-core').BrowserContext;
  const servers: ServeWebHandle[] = [];
  const profile = path.join(work, 'profile');

  beforeAll(async () => {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1000, height: 760 } });
  });
  afterAll(async () => {
    await context?.close();
    for (const s of servers) await s.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  async function open(dir: string) {
    const server = await serveWeb({ modelDir: dir, port: 0, defaultPrompt: 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""' });
    servers.push(server);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    const ready = await page.evaluate(() => (globalThis as unknown as PageApi).nxmlc.ready);
    expect(errors).toEqual([]);
    return { page, ready, server };
  }

  it('q0f32: the greedy continuation equals transformers\' reference tokens', async () => {
    const { page, ready, server } = await open(await modelDir('q0f32'));
    console.log(`browser adapter: ${ready.adapter} (shader-f16: ${ready.f16}); model loaded in ${ready.loadSeconds.toFixed(1)} s`);
    const expected = readExpected(path.join(DEMO, 'expected.safetensors'));
    const ids = Array.from(expected.input_ids.data);
    const want = Array.from(expected.greedy.data).slice(0, 16);
    const res = await page.evaluate((o) => (globalThis as unknown as PageApi).nxmlc.generate(o), { ids, maxTokens: want.length, greedy: true });
    expect(res.tokens).toEqual(want);
    // The reference continuation starts "\n    return n.bit_length()" (examples/pycode-6m/README.md).
    expect(res.text).toContain('return n.bit_length()');

    // A reload reads the shards from the Cache API, not the server, and computes the same tokens.
    const shardGets = () => [...server.requests].filter(([p]) => /params_shard_\d+\.bin$/.test(p)).reduce((a, [, n]) => a + n, 0);
    const before = shardGets();
    expect(before).toBeGreaterThan(0);
    await page.reload();
    await page.evaluate(() => (globalThis as unknown as PageApi).nxmlc.ready);
    expect(shardGets()).toBe(before);
    const again = await page.evaluate((o) => (globalThis as unknown as PageApi).nxmlc.generate(o), { ids, maxTokens: 4, greedy: true });
    expect(again.tokens).toEqual(want.slice(0, 4));
    await page.close();
  });

  it('q4f16_1: Generate streams recognisable Python and shows tok/s; screenshot kept', async () => {
    const { page } = await open(await modelDir('q4f16_1'));
    await page.fill('#max-tokens', '40');
    await page.click('#send');
    await page.waitForFunction(() => /decode [\d.]+ tok\/s/.test((globalThis as unknown as { document: { getElementById(i: string): { textContent: string } } }).document.getElementById('stats').textContent) && /\(\w+\)/.test((globalThis as unknown as { document: { getElementById(i: string): { textContent: string } } }).document.getElementById('stats').textContent), undefined, { timeout: 120000 });
    const text = await page.textContent('#output pre.bot');
    const stats = await page.textContent('#stats');
    console.log(`q4f16_1 in Chromium: ${stats}\n${text}`);
    // Python the model writes after a docstring: an indented statement with a Python keyword.
    expect(text).toMatch(/\n? {4}(return|if|for|while|def|result|a|n)\b/);
    expect(text).toMatch(/\b(return|if|for|in|def|while|else|None)\b/);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, 'pycode-6m-q4f16_1-chromium.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
    expect(fs.statSync(shot).size).toBeGreaterThan(1000);
    await page.close();
  });

  it('chat template: each turn is the conversation so far, rendered as `nx-mlc chat` renders it', async () => {
    // The demo is a base model, so the replies are not chat; what is checked is the page's prompt assembly.
    const dir = await modelDir('q4f16_1', 'chatml', 512); // chatml's default system prompt is long
    const { page } = await open(dir);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'mlc-chat-config.json'), 'utf8'));
    const tok = loadTokenizer(dir, cfg.tokenizer_info, 4096);
    const ask = (text: string) => page.evaluate((o) => (globalThis as unknown as PageApi).nxmlc.generate(o), { text, maxTokens: 6, greedy: true });
    const first = await ask('Write a loop.');
    expect(first.prompt).toEqual(promptTokens(cfg.conv_template, [['user', 'Write a loop.'], ['assistant', null]], (t) => tok.encode(t)));
    const second = await ask('Again.');
    expect(second.prompt).toEqual(
      promptTokens(cfg.conv_template, [['user', 'Write a loop.'], ['assistant', first.text], ['user', 'Again.'], ['assistant', null]], (t) => tok.encode(t)),
    );
    expect(await page.locator('#output .turn').count()).toBe(2);
    await page.close();
  });
});
