import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { stringify } from 'yaml';
import genConfigExecutor from '../gen-config/executor';
import convertWeightExecutor from '../convert-weight/executor';
import compileExecutor from '../compile/executor';
import validateExecutor from '../validate/executor';
import { DEMO_MODEL, TempWorkspace } from '../../plugin/test-support/temp-workspace';

/**
 * A model with `weightStore: true`: convert-weight publishes the shards to the content-addressed store and leaves a
 * manifest; on a machine that only got the manifest back from the Nx cache (shards gone), validate materialises the
 * shards from the store and passes.
 */
let ws: TempWorkspace;
const savedStore = process.env.NXMLC_STORE;
beforeEach(() => {
  ws = new TempWorkspace();
  process.env.NXMLC_STORE = path.join(ws.root, 'store');
});
afterEach(() => {
  if (savedStore === undefined) delete process.env.NXMLC_STORE;
  else process.env.NXMLC_STORE = savedStore;
  ws.cleanup();
});

const context = (): ExecutorContext =>
  ({ root: ws.root, cwd: ws.root, isVerbose: false, projectName: 'demo', projectsConfigurations: { version: 2, projects: {} }, nxJsonConfiguration: {}, projectGraph: { nodes: {}, dependencies: {} } }) as unknown as ExecutorContext;

test('shards live in the store; validate materialises them after they are gone', async () => {
  ws.write('m/mlc-model.yaml', stringify({ name: 'demo', source: DEMO_MODEL, quantizations: ['q4f16_1'], targets: ['cpu'], convTemplate: 'LM', weightStore: true, validate: { maxTokens: 4 } }));
  const opts = { model: 'm/mlc-model.yaml', quantization: 'q4f16_1' };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    expect((await genConfigExecutor(opts, context())).success).toBe(true);
    expect((await convertWeightExecutor(opts, context())).success).toBe(true);
    const dir = path.join(ws.root, 'dist', 'm', 'q4f16_1');
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'nx-mlc-store.json'), 'utf8'));
    const shards = fs.readdirSync(dir).filter((f) => f.startsWith('params_shard_'));
    expect(shards.length).toBeGreaterThan(0);
    expect(manifest.files.map((f: { path: string }) => f.path).sort()).toEqual(shards.sort());
    const bytes = new Map(shards.map((s) => [s, fs.readFileSync(path.join(dir, s))]));
    expect((await compileExecutor({ ...opts, target: 'cpu' }, context())).success).toBe(true);
    for (const s of shards) fs.rmSync(path.join(dir, s));
    expect((await validateExecutor({ ...opts, target: 'cpu' }, context())).success).toBe(true);
    for (const s of shards) expect(fs.readFileSync(path.join(dir, s))).toEqual(bytes.get(s));
  } finally {
    out.mockRestore();
  }
});
