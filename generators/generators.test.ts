import * as http from 'node:http';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readNxJson, Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { parse } from 'yaml';
import { initGenerator } from './init/generator';
import { modelGenerator } from './model/generator';
import { targetGenerator } from './target/generator';
import { DEMO_MODEL, REPO_ROOT } from '../plugin/test-support/temp-workspace';

let tree: Tree;
beforeEach(() => (tree = createTreeWithEmptyWorkspace()));

describe('init', () => {
  it('registers the plugin once, adds target defaults and ignore entries', () => {
    tree.write('.gitignore', 'node_modules\n/dist\n');
    initGenerator(tree);
    initGenerator(tree);
    const nx = readNxJson(tree)!;
    expect(nx.plugins!.filter((p) => p === 'nx-mlc')).toHaveLength(1);
    expect(nx.targetDefaults!['validate--*']).toEqual({ parallelism: false });
    expect(tree.read('.gitignore', 'utf8')).toBe('node_modules\n/dist\n.nx/cache\n.nx/workspace-data\n');
    expect(tree.read('.nxignore', 'utf8')).toContain('*.safetensors\n');
  });

  it('keeps a plugin entry given in object form', () => {
    const nx = readNxJson(tree)!;
    nx.plugins = [{ plugin: 'nx-mlc', options: { executors: '.' } }];
    tree.write('nx.json', JSON.stringify(nx));
    initGenerator(tree);
    expect(readNxJson(tree)!.plugins).toEqual([{ plugin: 'nx-mlc', options: { executors: '.' } }]);
  });
});

describe('model', () => {
  it('declares a local checkpoint: architecture checked, template proposed from the checkpoint', async () => {
    // the demo model is a base model without a chat template: the proposal is LM (core/chat auto-select)
    await modelGenerator(tree, { source: DEMO_MODEL, name: 'pycode', directory: 'models/pycode', quantizations: 'q4f16_1,q0f16', targets: 'cpu,cuda' });
    const text = tree.read('models/pycode/mlc-model.yaml', 'utf8')!;
    const y = parse(text);
    expect(y).toMatchObject({ name: 'pycode', quantizations: ['q4f16_1', 'q0f16'], targets: ['cpu', 'cuda'], convTemplate: 'LM' });
    expect(path.resolve(tree.root, 'models/pycode', y.source)).toBe(DEMO_MODEL);
    expect(text).toMatch(/^# pycode: llama checkpoint/);
    expect(readNxJson(tree)!.plugins).toContain('nx-mlc');
  });

  it('refuses an unsupported architecture, naming config.json and model_type', async () => {
    tree.write('ckpt/bert/config.json', JSON.stringify({ model_type: 'bert' }));
    await expect(modelGenerator(tree, { source: 'ckpt/bert' })).rejects.toThrow(/Unsupported architecture "bert"[\s\S]*ckpt\/bert\/config\.json[\s\S]*field: model_type[\s\S]*llama/);
  });

  it('reads config.json of a Hub repo id from HF_ENDPOINT and leaves the template to gen-config (auto)', async () => {
    const config = fs.readFileSync(path.join(REPO_ROOT, 'fixtures', 'hf-tiny', 'qwen2', 'config.json'));
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.url!);
      if (req.url === '/org/tiny-qwen/resolve/v1/config.json') res.end(config);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const before = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      await modelGenerator(tree, { source: 'org/tiny-qwen', revision: 'v1' });
      expect(parse(tree.read('models/tiny-qwen/mlc-model.yaml', 'utf8')!)).toMatchObject({ source: 'org/tiny-qwen', revision: 'v1', convTemplate: 'auto' });
      await expect(modelGenerator(tree, { source: 'org/missing', name: 'm2' })).rejects.toThrow(/answered 404/);
      expect(seen).toEqual(['/org/tiny-qwen/resolve/v1/config.json', '/org/missing/resolve/main/config.json']);
    } finally {
      if (before === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = before;
      server.close();
    }
  });
});

describe('target', () => {
  beforeEach(() => {
    tree.write('models/other/mlc-model.yaml', 'name: other\nsource: org/x\nquantizations: [q4f16_1]\ntargets: [cpu]\nconvTemplate: LM\n');
    tree.write('models/llama/mlc-model.yaml', '# my model\nsource: org/llama\nquantizations: [q4f16_1]\ntargets:\n  - cpu # laptops\nconvTemplate: llama-3\n');
  });

  it('adds a device, keeping comments', () => {
    targetGenerator(tree, { project: 'llama', device: 'metal' });
    targetGenerator(tree, { project: 'llama', device: 'cpu:native', name: 'workstation', opt: 'O3' });
    const text = tree.read('models/llama/mlc-model.yaml', 'utf8')!;
    expect(text).toContain('# my model');
    expect(text).toContain('# laptops');
    expect(parse(text).targets).toEqual(['cpu', 'metal', { name: 'workstation', device: 'cpu:native', opt: 'O3' }]);
  });

  it('finds the model by project name and says when there is none', () => {
    expect(() => targetGenerator(tree, { project: 'nope', device: 'cpu' })).toThrow(/No mlc-model.yaml declares a model named "nope"/);
    targetGenerator(tree, { project: 'other', device: 'cuda' });
    expect(parse(tree.read('models/other/mlc-model.yaml', 'utf8')!).targets).toEqual(['cpu', 'cuda']);
  });

  it('refuses a duplicate and an unknown device', () => {
    expect(() => targetGenerator(tree, { project: 'llama', device: 'cpu' })).toThrow(/already has a hardware target "cpu"/);
    expect(() => targetGenerator(tree, { project: 'llama', device: 'tpu' })).toThrow(/Unknown device "tpu"[\s\S]*field: device/);
  });
});

describe('generators.json', () => {
  it('points every generator at a built factory and an existing schema', () => {
    const reg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'generators.json'), 'utf8')).generators;
    for (const [name, g] of Object.entries<{ factory: string; schema: string }>(reg)) {
      expect(g.factory).toMatch(new RegExp(`^\\./dist/generators/${name}/generator#\\w+Generator$`));
      expect(fs.existsSync(path.join(REPO_ROOT, g.schema))).toBe(true);
      const mod = require(path.join(REPO_ROOT, 'generators', name, 'generator.ts'));
      expect(typeof mod[g.factory.split('#')[1]]).toBe('function');
    }
  });
});
