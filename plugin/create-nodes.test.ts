import type { CreateNodesContext, ProjectConfiguration } from '@nx/devkit';
import { stringify } from 'yaml';
import { createNodes } from './create-nodes';
import { TempWorkspace } from './test-support/temp-workspace';

const BASE = {
  name: 'llama-tiny',
  source: './hf',
  quantizations: ['q4f16_1', 'q0f16'],
  targets: ['cpu'],
  convTemplate: 'LM',
  overrides: { context_window_size: 512 },
  validate: { prompt: 'def f(' },
};

let ws: TempWorkspace;
beforeEach(() => (ws = new TempWorkspace()));
afterEach(() => ws.cleanup());

async function infer(model: Record<string, unknown>, file = 'models/llama-tiny/mlc-model.yaml'): Promise<ProjectConfiguration> {
  ws.write(file, stringify(model));
  const context: CreateNodesContext = { nxJsonConfiguration: {}, workspaceRoot: ws.root };
  const results = await createNodes[1]([file], {}, context);
  expect(results).toHaveLength(1);
  const [source, result] = results[0];
  expect(source).toBe(file);
  return Object.values(result.projects!)[0] as ProjectConfiguration;
}

/**
 * What Nx's hash_project_config puts into EVERY task hash of a project: the target names and each target's
 * executor, outputs, options, configurations and parallelism (not inputs, dependsOn or metadata).
 */
function hashedPart(p: ProjectConfiguration): string {
  const t = p.targets!;
  return JSON.stringify(
    Object.keys(t)
      .sort()
      .map((k) => [k, t[k].executor, t[k].outputs, t[k].options, t[k].configurations, t[k].parallelism]),
  );
}

describe('createNodes', () => {
  it('infers one project per model file with the required and fan-out targets', async () => {
    const p = await infer(BASE);
    expect(p.name).toBe('llama-tiny');
    expect(p.root).toBe('models/llama-tiny');
    const names = Object.keys(p.targets!);
    for (const t of ['gen-config', 'convert-weight', 'compile', 'validate', 'gen-config--q4f16_1', 'convert-weight--q0f16', 'compile--q4f16_1--cpu', 'compile--q4f16_1--cuda', 'validate--q0f16--cpu-native']) {
      expect(names).toContain(t);
    }
    expect(p.targets!['compile--q4f16_1--cpu'].dependsOn).toEqual(['gen-config--q4f16_1']);
    expect(p.targets!['validate--q0f16--cpu'].dependsOn).toEqual(['compile--q0f16--cpu', 'convert-weight--q0f16']);
    expect(p.targets!['compile--q4f16_1--cpu'].outputs).toEqual([
      '{workspaceRoot}/dist/models/llama-tiny/libs/llama-tiny-q4f16_1-cpu.so',
      '{workspaceRoot}/dist/models/llama-tiny/libs/llama-tiny-q4f16_1-cpu.so.json',
    ]);
    // only declared hardware targets are listed for people; the others exist for cache stability
    expect(p.metadata!.targetGroups!.compile).toEqual(['compile--q4f16_1--cpu', 'compile--q0f16--cpu']);
    for (const t of Object.values(p.targets!)) expect(typeof t.metadata?.description).toBe('string');
  });

  it('gives each stage only its own fingerprint, and compile no weights', async () => {
    const t = (await infer(BASE)).targets!;
    const runtime = (name: string) => (t[name].inputs as Array<Record<string, string>>).filter((i) => i.runtime).map((i) => i.runtime.replace(/^node .*fingerprint-cli\.[jt]s /, ''));
    expect(runtime('gen-config--q0f16')).toEqual(['gen-config models/llama-tiny/mlc-model.yaml']);
    expect(runtime('convert-weight--q0f16')).toEqual(['convert-weight models/llama-tiny/mlc-model.yaml']);
    expect(runtime('compile--q0f16--metal')).toEqual(['compile models/llama-tiny/mlc-model.yaml metal']);
    expect(t['compile--q0f16--metal'].inputs).toContainEqual({ dependentTasksOutputFiles: '**/model-lib-inputs.json' });
    expect(runtime('validate--q0f16--cpu')).toEqual(['validate models/llama-tiny/mlc-model.yaml']);
  });

  it.each([
    ['a new conversation template', { convTemplate: 'chatml' }],
    ['a new context window', { overrides: { context_window_size: 1024 } }],
    ['one more hardware target', { targets: ['cpu', 'cpu-native'] }],
    ['a target declared with its own opt level', { targets: ['cpu', { name: 'cuda', device: 'cuda', opt: 'O3' }] }],
    ['a new validation prompt', { validate: { prompt: 'class A' } }],
    ['another checkpoint directory', { source: './hf-finetuned' }],
  ])('keeps the project configuration Nx hashes into every task unchanged for %s', async (_what, change) => {
    const before = hashedPart(await infer(BASE));
    const after = hashedPart(await infer({ ...BASE, ...change }));
    expect(after).toBe(before);
  });

  it('changes it for a custom-named hardware target (documented: adds targets of its own)', async () => {
    const before = hashedPart(await infer(BASE));
    const after = await infer({ ...BASE, targets: ['cpu', { name: 'laptop', device: 'cpu:native' }] });
    expect(Object.keys(after.targets!)).toContain('compile--q0f16--laptop');
    expect(hashedPart(after)).not.toBe(before);
  });

  it('downloads a Hub checkpoint with one acquire target whose lock file the stages hash', async () => {
    const p = await infer({ ...BASE, source: 'org/llama-tiny', revision: 'abc123' });
    const t = p.targets!;
    expect(t['acquire']).toMatchObject({
      executor: 'nx-mlc:acquire',
      options: { repo: 'org/llama-tiny', revision: 'abc123', output: 'dist/models/llama-tiny/checkpoint' },
      outputs: ['{workspaceRoot}/dist/models/llama-tiny/checkpoint/nx-mlc.lock.json'],
    });
    for (const name of ['gen-config--q0f16', 'convert-weight--q4f16_1']) {
      expect(t[name].dependsOn).toEqual(['acquire']);
      expect(t[name].inputs).toContainEqual({ dependentTasksOutputFiles: '**/nx-mlc.lock.json' });
    }
    // a local checkpoint has no acquire target
    expect((await infer(BASE)).targets!['acquire']).toBeUndefined();
  });

  it('is deterministic', async () => {
    expect(JSON.stringify(await infer(BASE))).toBe(JSON.stringify(await infer(BASE)));
  });

  it('reports a bad model file with the file and the field', async () => {
    ws.write('a/mlc-model.yaml', stringify({ ...BASE, quantizations: 'q4f16_1' }));
    const context: CreateNodesContext = { nxJsonConfiguration: {}, workspaceRoot: ws.root };
    // Nx's AggregateCreateNodesError: one [file, error] pair per bad file, so the rest of the graph survives
    const err = await Promise.resolve().then(() => createNodes[1](['a/mlc-model.yaml'], {}, context)).then(() => undefined, (e: unknown) => e as { errors: [string, Error][] });
    expect(err?.errors).toHaveLength(1);
    expect(err!.errors[0][0]).toBe('a/mlc-model.yaml');
    expect(err!.errors[0][1].message).toMatch(/a\/mlc-model\.yaml[\s\S]*field: quantizations/);
  });

  it('uses the executor package named in the plugin options', async () => {
    ws.write('m/mlc-model.yaml', stringify(BASE));
    const results = await createNodes[1](['m/mlc-model.yaml'], { executors: '.' }, { nxJsonConfiguration: {}, workspaceRoot: ws.root });
    const p = Object.values(results[0][1].projects!)[0];
    expect(p.targets!['gen-config--q0f16'].executor).toBe('.:gen-config');
  });
});

describe('weightStore: true', () => {
  it('caches the store manifest instead of the shards', async () => {
    const plain = await infer(BASE);
    expect(plain.targets!['convert-weight--q0f16'].outputs).toContain('{workspaceRoot}/dist/models/llama-tiny/q0f16/params_shard_*.bin');
    const stored = await infer({ ...BASE, weightStore: true });
    const outputs = stored.targets!['convert-weight--q0f16'].outputs!;
    expect(outputs).toContain('{workspaceRoot}/dist/models/llama-tiny/q0f16/nx-mlc-store.json');
    expect(outputs).toContain('{workspaceRoot}/dist/models/llama-tiny/q0f16/tensor-cache.json');
    expect(outputs.some((o) => o.includes('params_shard'))).toBe(false);
  });
  it('webgpu libraries are ES modules', async () => {
    const p = await infer({ ...BASE, targets: ['webgpu'] });
    expect(p.targets!['compile--q0f16--webgpu'].outputs![0]).toMatch(/llama-tiny-q0f16-webgpu\.mjs$/);
  });
});
