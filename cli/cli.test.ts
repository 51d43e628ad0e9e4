import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HF_TINY, DEMO_MODEL, REPO_ROOT, tempDir } from '../core/test-support/paths';

/** Black-box tests of the built command line (`npm test` builds dist/ first). */
const BIN = path.join(REPO_ROOT, 'bin', 'nx-mlc.js');
const built = fs.existsSync(path.join(REPO_ROOT, 'dist', 'cli', 'index.js'));
const maybe = built ? describe : describe.skip;
if (!built) console.log('cli tests skipped: dist/ is missing (run `npm run build`; `npm test` does it)');

function nxMlc(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

maybe('nx-mlc command line', () => {
  test('--help lists the stages', () => {
    const r = nxMlc('--help');
    expect(r.code).toBe(0);
    for (const c of ['demo', 'inspect', 'gen-config']) expect(r.stdout).toContain(c);
  });

  test('inspect reports architecture, parameter count, dtypes and per-quantization memory', () => {
    const r = nxMlc('inspect', path.join(HF_TINY, 'qwen3'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/architecture\s+qwen3/);
    expect(r.stdout).toContain('(156,096)'); // fixtures/hf-tiny/index.json: qwen3 has 156096 parameters
    expect(r.stdout).toMatch(/BF16/);
    expect(r.stdout).toMatch(/q4f16_1\s+\S+ \S+\s+\S+ \S+\s+\S+ \S+/);
    const j = JSON.parse(nxMlc('inspect', path.join(HF_TINY, 'qwen3'), '--json').stdout);
    // KV cache at 256 positions: 2 (K,V) x 2 layers x 2 KV heads x 32 head dim x 256 x 2 bytes (fp16)
    expect(j.estimates.find((e: { quantization: string }) => e.quantization === 'q4f16_1').kvCacheBytes).toBe(2 * 2 * 2 * 32 * 256 * 2);
  });

  test('inspect counts the parameters of every fixture as transformers does', () => {
    const index = JSON.parse(fs.readFileSync(path.join(HF_TINY, 'index.json'), 'utf8'));
    for (const [arch, meta] of Object.entries(index.archs as Record<string, { params: number }>)) {
      const j = JSON.parse(nxMlc('inspect', path.join(HF_TINY, arch), '--json').stdout);
      expect([arch, j.parameters]).toEqual([arch, meta.params]);
    }
  });

  test('gen-config writes the config and copies the tokenizer files', () => {
    const out = tempDir();
    const r = nxMlc('gen-config', DEMO_MODEL, '--quantization', 'q4f16_1', '--conv-template', 'LM', '-o', out, '--context-window-size', '256');
    expect(r.code).toBe(0);
    const cfg = JSON.parse(fs.readFileSync(path.join(out, 'mlc-chat-config.json'), 'utf8'));
    expect(cfg.context_window_size).toBe(256);
    expect(fs.existsSync(path.join(out, 'tokenizer.json'))).toBe(true);
  });

  test('bad input: a clear one-line-per-fact error, no stack trace, exit code 1', () => {
    const r = nxMlc('inspect', tempDir());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: No config\.json/);
    expect(r.stderr).toMatch(/fix: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('a non-integer option value is refused with the option named', () => {
    const r = nxMlc('gen-config', DEMO_MODEL, '--quantization', 'q4f16_1', '--conv-template', 'LM', '-o', tempDir(), '--context-window-size', 'big');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/context-window-size/);
  });
});

maybe('nx-mlc template-check', () => {
  test('shows the first difference with a caret and exits 2; an exact match exits 0', () => {
    const fixtures = path.join(REPO_ROOT, 'core', 'chat', 'fixtures');
    const differ = nxMlc('template-check', path.join(fixtures, 'phi-3-mini-instruct'), '--conv-template', 'phi-3');
    expect(differ.code).toBe(2);
    expect(differ.stdout).toMatch(/first difference at character \d+/);
    expect(differ.stdout).toMatch(/\n\s+\^\n/);
    const same = nxMlc('template-check', path.join(fixtures, 'qwen2.5-instruct'), '--conv-template', 'qwen2');
    expect(same.code).toBe(0);
  });
});

maybe('nx-mlc convert-weight and verify-weights', () => {
  test('convert the demo to q4f16_1, verify it, then catch a flipped byte', () => {
    const out = tempDir();
    const c = nxMlc('convert-weight', DEMO_MODEL, '--quantization', 'q4f16_1', '-o', out, '--threads', '1');
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/q4f16_1: 63 tensors/);
    expect(nxMlc('verify-weights', out).code).toBe(0);
    const shard = path.join(out, 'params_shard_0.bin');
    const b = fs.readFileSync(shard);
    b[100] ^= 0xff;
    fs.writeFileSync(shard, b);
    const v = nxMlc('verify-weights', out);
    expect(v.code).toBe(1);
    expect(v.stdout + v.stderr).toMatch(/md5/);
  });
});
