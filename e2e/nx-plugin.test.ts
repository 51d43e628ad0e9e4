/**
 * End to end: a fresh Nx workspace with nx-mlc installed from `npm pack`, the demo model declared in
 * mlc-model.yaml, every stage run for the cpu target, then the caching matrix of issue #5 (a)–(g) with an
 * isolated cache directory and the daemon off.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { buildAndPack, NxResult, NxWorkspace, REPO } from './support/nx-workspace';
import { findGxx } from '../core/compiler/toolchain/gxx';

jest.setTimeout(240_000);

const DEMO = path.join(REPO, 'examples', 'pycode-6m');
const CHECKPOINT_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors', 'expected.safetensors'];
const A = 'pycode-6m';
const task = (t: string, p = A) => `${p}:${t}`;
const gen = task('gen-config--q0f16');
const conv = task('convert-weight--q0f16');
const comp = task('compile--q0f16--cpu');
const val = task('validate--q0f16--cpu');

const model = {
  name: A,
  source: '.',
  quantizations: ['q0f16'],
  targets: ['cpu'],
  convTemplate: 'LM',
  overrides: { context_window_size: 512, prefill_chunk_size: 128 },
  validate: { prompt: 'def fibonacci(n):', maxTokens: 8 },
};

// compile builds a native library: without a C++ compiler the stages after gen-config cannot run
const gxx = findGxx();
const missing = [!gxx && 'a C++ compiler (g++, c++ or clang++)', !hasGit() && 'git'].filter(Boolean);
if (missing.length) console.log(`e2e/nx-plugin skipped: this machine lacks ${missing.join(' and ')}`);
const suite = missing.length ? describe.skip : describe;

function hasGit(): boolean {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let ws: NxWorkspace;
let packDir: string;

beforeAll(() => {
  if (missing.length) return;
  packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-pack-'));
  ws = new NxWorkspace(buildAndPack(packDir));
  for (const f of CHECKPOINT_FILES) ws.write(`models/${A}/${f}`, fs.readFileSync(path.join(DEMO, f)));
  ws.write('models/other/config.json', fs.readFileSync(path.join(DEMO, 'config.json')));
}, 300_000);

afterAll(() => {
  ws?.nxWith({ NX_DAEMON: 'true' }, 'daemon', '--stop');
  ws?.cleanup();
  if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
});

function setModel(change: Record<string, unknown>): void {
  Object.assign(model, change);
  ws.write(`models/${A}/mlc-model.yaml`, stringify(model));
}

/** A successful nx run; on failure the assertion shows Nx's output. */
function ok(r: NxResult): NxResult {
  if (r.status !== 0) throw new Error(`nx exited with ${r.status}:\n${r.output}`);
  return r;
}

/**
 * Flip the lowest bit of the low byte of a bf16 value near the end of the file: a tiny change that never makes
 * a NaN; size and name stay the same. `fromEnd` picks the value (flipping the same one twice restores it).
 */
function flipWeightByte(fromEnd = 2): void {
  const file = path.join(ws.root, 'models', A, 'model.safetensors');
  const fd = fs.openSync(file, 'r+');
  const size = fs.fstatSync(fd).size;
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, size - fromEnd);
  b[0] ^= 1;
  fs.writeSync(fd, b, 0, 1, size - fromEnd);
  fs.closeSync(fd);
}

const validateRun = () => ok(ws.nx('run', val, '--outputStyle=static'));

suite('nx-mlc in a fresh Nx workspace', () => {
  it('ships what the plugin needs in the package', () => {
    for (const f of ['dist/plugin/index.js', 'dist/plugin/fingerprint-cli.js', 'executors.json', 'executors/compile/schema.json', 'native/include/nxmlc_abi.h']) {
      expect(ws.exists(`node_modules/nx-mlc/${f}`)).toBe(true);
    }
  });

  it('`nx g nx-mlc:model` declares a checkpoint and registers the plugin', () => {
    const r = ws.nx('g', 'nx-mlc:model', `--source=models/${A}`, `--name=${A}`, `--directory=models/${A}`, '--quantizations=q0f16', '--no-interactive');
    expect(r.status).toBe(0);
    const declared = parse(ws.read(`models/${A}/mlc-model.yaml`));
    // the demo is a base model without a chat template: LM is proposed
    expect(declared).toMatchObject({ name: A, source: '.', quantizations: ['q0f16'], targets: ['cpu'], convTemplate: 'LM' });
    expect(JSON.parse(ws.read('nx.json')).plugins).toEqual(['nx-mlc']);
    // the settings this suite varies, and a second model so that `affected` has something to leave out
    ws.write(`models/${A}/mlc-model.yaml`, stringify(model));
    ws.write('models/other/mlc-model.yaml', stringify({ ...model, name: 'other' }));
    ws.git('init', '-q');
    ws.git('add', '-A');
    ws.git('commit', '-qm', 'models');
  });

  it('infers the model projects with described targets', () => {
    const r = ws.nx('show', 'project', A, '--json');
    expect(r.status).toBe(0);
    const p = JSON.parse(r.output.slice(r.output.indexOf('{')));
    for (const t of ['gen-config', 'convert-weight', 'compile', 'validate', 'gen-config--q0f16', 'compile--q0f16--cpu', 'compile--q0f16--cuda', 'validate--q0f16--cpu']) {
      expect(p.targets[t]).toBeDefined();
      expect(p.targets[t].metadata.description).toEqual(expect.any(String));
    }
    const human = ws.nx('show', 'project', A);
    expect(human.output).toContain('compile--q0f16--cpu');
    expect(ws.nx('show', 'projects').output.split('\n').map((l) => l.trim())).toEqual(expect.arrayContaining([A, 'other']));
  });

  it('`nx run <model>:validate --target=cpu` runs every stage for cpu and writes every artifact', () => {
    const r = ws.nx('run', `${A}:validate`, '--target=cpu', '--outputStyle=static');
    expect(r.status).toBe(0);
    expect(r.ran).toEqual(expect.arrayContaining([gen, conv, comp, val]));
    const dir = `models/${A}/../../dist/models/${A}`;
    const chat = JSON.parse(ws.read(`${dir}/q0f16/mlc-chat-config.json`));
    expect(chat.conv_template.name).toBe('LM');
    expect(chat.context_window_size).toBe(512);
    const cache = JSON.parse(ws.read(`${dir}/q0f16/tensor-cache.json`));
    expect(cache.records[0].dataPath).toBe('params_shard_0.bin');
    expect(fs.statSync(path.join(ws.root, `${dir}/q0f16/params_shard_0.bin`)).size).toBe(cache.records[0].nbytes);
    expect(fs.statSync(path.join(ws.root, `${dir}/libs/${A}-q0f16-cpu.so`)).size).toBeGreaterThan(0);
    expect(JSON.parse(ws.read(`${dir}/libs/${A}-q0f16-cpu.so.json`)).target).toBe('cpu');
    const report = JSON.parse(ws.read(`${dir}/reports/q0f16-cpu.json`));
    expect(report).toMatchObject({ ok: true, model_type: 'llama', quantization: 'q0f16', device: 'cpu' });
    // one-line summaries per stage
    expect(r.output).toMatch(/^gen-config q0f16: llama, template LM, context 512/m);
    expect(r.output).toMatch(/^convert-weight q0f16: \d+ tensors in 1 shard\(s\)/m);
    expect(r.output).toMatch(/^compile q0f16 cpu: .*\.so \(/m);
    expect(r.output).toMatch(/^validate q0f16 cpu: PASS/m);
  });

  it('(a) a second run is all cache hits', () => {
    const r = validateRun();
    expect(r.status).toBe(0);
    expect(r.ran).toEqual([]);
    expect(r.hits).toEqual([comp, conv, gen, val]);
  });

  it('--device=cpu and the compile:cpu configuration reach the executor too (and hit the cache)', () => {
    for (const args of [[`${A}:compile`, '--device=cpu'], [`${A}:compile:cpu`]]) {
      const r = ws.nx('run', ...args, '--outputStyle=static');
      expect(r.status).toBe(0);
      expect(r.output).toContain('compile: running compile--q0f16--cpu');
      expect(r.hits).toEqual(expect.arrayContaining([comp, gen]));
      expect(r.ran).not.toContain(comp);
    }
  });

  it('--target=<undeclared> reaches the executor and says how to declare it', () => {
    const r = ws.nx('run', `${A}:compile`, '--target=metal', '--outputStyle=static');
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('"metal" is not a hardware target of model pycode-6m');
  });

  it('(b) a new conversation template re-runs gen-config and validate only', () => {
    setModel({ convTemplate: 'chatml' });
    const r = validateRun();
    expect(r.status).toBe(0);
    expect(r.ran).toEqual([gen, val]);
    expect(r.hits).toEqual([comp, conv]);
  });

  it('(c) one changed weight byte re-runs convert-weight and validate; compile is a hit', () => {
    flipWeightByte();
    const r = validateRun();
    expect(r.status).toBe(0);
    expect(r.ran).toEqual([conv, val]);
    expect(r.hits).toEqual([comp, gen]);
  });

  it('(d) a new context window re-runs gen-config and compile; convert-weight is a hit', () => {
    setModel({ overrides: { context_window_size: 256, prefill_chunk_size: 128 } });
    const r = validateRun();
    expect(r.status).toBe(0);
    expect(r.ran).toEqual([comp, gen, val]);
    expect(r.hits).toEqual([conv]);
  });

  it('(e) one more hardware target runs one compile', () => {
    ok(ws.nx('g', 'nx-mlc:target', A, '--device=cpu:native', '--no-interactive'));
    expect(parse(ws.read(`models/${A}/mlc-model.yaml`)).targets).toEqual(['cpu', 'cpu:native']);
    model.targets = ['cpu', 'cpu:native'];
    const r = ws.nx('run', `${A}:compile`, '--outputStyle=static');
    expect(r.status).toBe(0);
    expect(r.ran).toEqual([task('compile', A), task('compile--q0f16--cpu-native')]);
    expect(r.hits).toEqual([comp, gen]);
    expect(ws.exists(`dist/models/${A}/libs/${A}-q0f16-cpu-native.so`)).toBe(true);
  });

  it('(f) a new compiler re-runs compile; gen-config and convert-weight are hits', () => {
    const compiler = path.join(ws.root, 'node_modules', 'nx-mlc', 'dist', 'core', 'compiler', 'compile.js');
    fs.appendFileSync(compiler, '\n// a patched compiler\n');
    const r = validateRun();
    expect(r.status).toBe(0);
    expect(r.ran).toContain(comp);
    expect(r.hits).toEqual(expect.arrayContaining([conv, gen]));
    expect(r.ran).not.toContain(gen);
    expect(r.ran).not.toContain(conv);
  });

  it('(g) `nx affected -t validate` after a commit selects exactly the changed model', () => {
    ws.git('add', '-A');
    ws.git('commit', '-qm', 'cpu-native');
    setModel({ validate: { prompt: 'class Stack:', maxTokens: 8 } });
    ws.git('commit', '-qam', 'new validation prompt');
    const graph = ws.nx('affected', '-t', 'validate', '--base=HEAD~1', '--head=HEAD', '--graph=stdout');
    expect(graph.status).toBe(0);
    const tasks = Object.keys(JSON.parse(graph.output.slice(graph.output.indexOf('{'))).tasks.tasks);
    expect(tasks).toEqual([task('validate')]);
    const r = ws.nx('affected', '-t', 'validate', '--base=HEAD~1', '--head=HEAD', '--outputStyle=static');
    expect(r.status).toBe(0);
    // the new prompt reaches validate only; both declared targets are validated
    expect(r.ran).toEqual(expect.arrayContaining([val, task('validate--q0f16--cpu-native')]));
    expect(r.ran.filter((t) => t.startsWith('other:'))).toEqual([]);
    expect(r.hits).toEqual(expect.arrayContaining([comp, conv, gen]));
  });

  it('with the Nx daemon on, the same inputs are seen: a weight byte re-runs convert-weight and validate only', () => {
    const daemon = { NX_DAEMON: 'true' };
    const warm = ok(ws.nxWith(daemon, 'run', val, '--outputStyle=static'));
    expect(warm.ran).toEqual([]);
    flipWeightByte(4); // another value than (c): flipping that one back would restore weights already cached
    const r = ok(ws.nxWith(daemon, 'run', val, '--outputStyle=static'));
    expect(r.ran).toEqual([conv, val]);
    expect(r.hits).toEqual([comp, gen]);
  });
});
