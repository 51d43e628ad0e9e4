import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { parse } from 'yaml';
import { ciGenerator, declaredTargets } from './generator';
import { buildWorkflow } from './workflow';

// GitHub Actions' documented workflow syntax as a JSON schema (see workflow-schema/README.md).
const schema = JSON.parse(fs.readFileSync(path.join(__dirname, 'workflow-schema', 'github-workflow.schema.json'), 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
const validateWorkflow = ajv.compile(schema);

function expectValid(workflow: unknown): void {
  const ok = validateWorkflow(workflow);
  expect(ajv.errorsText(validateWorkflow.errors)).toBe('No errors');
  expect(ok).toBe(true);
}

type Job = { 'runs-on': unknown; steps: Array<{ run?: string; uses?: string }> };

describe('ci generator', () => {
  test('one job per hardware target on a suitable runner, valid against the workflow schema', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await ciGenerator(tree, { targets: 'cpu,cuda,metal,iphone,vulkan,webgpu,android', skipFormat: true });
    const text = tree.read('.github/workflows/nx-mlc.yml', 'utf8')!;
    const wf = parse(text) as { jobs: Record<string, Job>; env: Record<string, string>; on: Record<string, unknown> };
    expectValid(wf);

    const runner = (t: string) => wf.jobs[`compile-${t}`]['runs-on'];
    expect(runner('cpu')).toBe('ubuntu-latest');
    expect(runner('vulkan')).toBe('ubuntu-latest');
    expect(runner('webgpu')).toBe('ubuntu-latest');
    expect(runner('android')).toBe('ubuntu-latest');
    expect(runner('metal')).toBe('macos-latest');
    expect(runner('iphone')).toBe('macos-latest');
    expect(runner('cuda')).toEqual(['self-hosted', 'linux', 'x64', 'gpu']);
    expect(Object.keys(wf.jobs)).toHaveLength(7);

    const cudaRun = wf.jobs['compile-cuda'].steps.map((s) => s.run ?? '').join('\n');
    expect(cudaRun).toContain('npx nx affected -t compile validate -c cuda');
    expect(wf.jobs['compile-cpu'].steps.some((s) => s.uses === 'nrwl/nx-set-shas@v4')).toBe(true);

    // Remote cache wired in: read-only token except for pushes to main.
    expect(wf.env.NX_SELF_HOSTED_REMOTE_CACHE_SERVER).toBe('${{ vars.NX_MLC_CACHE_SERVER }}');
    expect(wf.env.NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN).toMatch(/refs\/heads\/main' && secrets\.NX_MLC_CACHE_WRITE_TOKEN \|\| secrets\.NX_MLC_CACHE_READ_TOKEN/);
    expect(wf.env.NXMLC_S3_BUCKET).toBe('${{ vars.NXMLC_S3_BUCKET }}');
    expect(Object.keys(wf.on).sort()).toEqual(['pull_request', 'push', 'workflow_dispatch']);
  });

  test('default targets come from the mlc-model.yaml files of the workspace', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('models/a/mlc-model.yaml', 'name: a\nsource: .\nquantizations: [q4f16_1]\ntargets: [cpu, cuda]\n');
    tree.write('models/b/mlc-model.yaml', 'name: b\nsource: .\nquantizations: [q0f16]\ntargets:\n  - {name: mac, device: metal}\n  - {name: native, device: "cpu:native"}\n');
    expect(declaredTargets(tree)).toEqual(['cpu', 'cpu-native', 'cuda', 'metal']);
    await ciGenerator(tree, { skipFormat: true, remoteCache: false, name: 'models.yml' });
    const wf = parse(tree.read('.github/workflows/models.yml', 'utf8')!) as { jobs: Record<string, Job>; env: Record<string, string> };
    expectValid(wf);
    expect(Object.keys(wf.jobs).sort()).toEqual(['compile-cpu', 'compile-cpu-native', 'compile-cuda', 'compile-metal']);
    expect(wf.env.NX_SELF_HOSTED_REMOTE_CACHE_SERVER).toBeUndefined();
  });

  test('the schema check is not vacuous: a job without runs-on, or with a misspelled key, is rejected', () => {
    const wf = buildWorkflow({ targets: ['cpu'] }) as { jobs: Record<string, Record<string, unknown>> };
    delete wf.jobs['compile-cpu']['runs-on'];
    expect(validateWorkflow(wf)).toBe(false);
    const wf2 = buildWorkflow({ targets: ['cpu'] }) as { jobs: Record<string, Record<string, unknown>> };
    wf2.jobs['compile-cpu']['timeout_minutes'] = 30;
    expect(validateWorkflow(wf2)).toBe(false);
    const wf3 = buildWorkflow({ targets: ['cpu'] }) as { jobs: Record<string, { steps: Record<string, unknown>[] }> };
    wf3.jobs['compile-cpu'].steps[0].uses = 'actions/checkout';
    expect(validateWorkflow(wf3)).toBe(false);
  });

  test('unknown targets and an empty list name the field and the fix', () => {
    expect(() => buildWorkflow({ targets: ['tpu'] })).toThrow(/tpu[\s\S]*field: targets[\s\S]*fix:/);
    expect(() => buildWorkflow({ targets: [] })).toThrow(/at least one hardware target/);
  });
});
