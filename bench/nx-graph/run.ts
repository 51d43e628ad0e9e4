/**
 * Project-graph and fully-cached-run benchmark for the nx-mlc plugin (issue #5):
 *   node -r @swc-node/register bench/nx-graph/run.ts [models=50]
 * A fresh workspace (the packed plugin, like the e2e) with N copies of fixtures/hf-tiny/llama, each declaring
 * one quantization and 4 buildable hardware targets (cpu, cpu-native, and two opt levels as custom targets),
 * validated against the fixture's transformers reference. Prints a markdown table for bench/RESULTS.md.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { buildAndPack, NxWorkspace, REPO } from '../../e2e/support/nx-workspace';

const N = Number(process.argv[2] ?? 50);
const HW = ['cpu', 'cpu-native', 'cpu-o1', 'cpu-o3'];
const Q = 'q0f32';
const TINY = path.join(REPO, 'fixtures', 'hf-tiny', 'llama');

function timed<T>(f: () => T): [T, number] {
  const t = process.hrtime.bigint();
  const r = f();
  return [r, Number(process.hrtime.bigint() - t) / 1e9];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-bench-pack-'));
const ws = new NxWorkspace(buildAndPack(packDir));
try {
  ws.write('nx.json', JSON.stringify({ plugins: ['nx-mlc'], cacheDirectory: '.nx/cache' }, null, 2));
  for (let i = 0; i < N; i++) {
    const dir = `models/m${String(i).padStart(3, '0')}`;
    for (const f of ['config.json', 'generation_config.json', 'model.safetensors', 'expected.safetensors']) ws.write(`${dir}/${f}`, fs.readFileSync(path.join(TINY, f)));
    ws.write(
      `${dir}/mlc-model.yaml`,
      stringify({
        source: '.',
        quantizations: [Q],
        targets: ['cpu', 'cpu:native', { name: 'cpu-o1', device: 'cpu', opt: 'O1' }, { name: 'cpu-o3', device: 'cpu', opt: 'O3' }],
        convTemplate: 'LM',
        validate: { reference: 'expected.safetensors', tolerance: 0.01 }, // q0f32 on this fixture: 1.6e-3 (runtime default 1e-3)
      }),
    );
  }
  const rows: [string, string][] = [];
  const graph: number[] = [];
  for (let i = 0; i < 3; i++) {
    ws.nx('reset');
    const [r, s] = timed(() => ws.nx('show', 'projects'));
    if (r.status !== 0) throw new Error(r.output);
    graph.push(s);
  }
  rows.push([`project graph, cold (\`nx reset\` then \`nx show projects\`), ${N} models`, `${median(graph).toFixed(2)} s (median of 3)`]);
  const warm = [0, 1, 2].map(() => timed(() => ws.nx('show', 'projects'))[1]);
  rows.push(['project graph, warm (`nx show projects` again)', `${median(warm).toFixed(2)} s (median of 3)`]);
  const targets = HW.map((h) => `validate--${Q}--${h}`);
  const [first, firstS] = timed(() => ws.nx('run-many', '-t', ...targets, '--outputStyle=static', '--parallel=2'));
  if (first.status !== 0) throw new Error(first.output.slice(-4000));
  const tasks = first.ran.length + first.hits.length;
  rows.push([`first run: ${tasks} tasks (gen-config, convert-weight, 4 compile, 4 validate per model)`, `${firstS.toFixed(1)} s`]);
  const cached = [0, 1, 2].map(() => {
    const [r, s] = timed(() => ws.nx('run-many', '-t', ...targets, '--outputStyle=static', '--parallel=2'));
    if (r.ran.length) throw new Error(`expected all hits, ran: ${r.ran.join(', ')}`);
    return s;
  });
  rows.push([`fully cached run: ${tasks}/${tasks} hits`, `${median(cached).toFixed(2)} s (median of 3)`]);
  const [, fpS] = timed(() => ws.nx('run-many', '-t', 'gen-config--' + Q, '--outputStyle=static'));
  rows.push([`fully cached gen-config only (${N} tasks, one fingerprint each)`, `${fpS.toFixed(2)} s`]);
  rows.push(['machine', `${os.cpus().length} cores (${os.cpus()[0].model}), load average ${os.loadavg()[0].toFixed(1)} at the end (machine shared with other jobs)`]);
  console.log(`| measurement | result |\n|---|---|\n${rows.map(([a, b]) => `| ${a} | ${b} |`).join('\n')}`);
} finally {
  ws.cleanup();
  fs.rmSync(packDir, { recursive: true, force: true });
}
