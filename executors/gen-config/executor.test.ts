import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { stringify } from 'yaml';
import genConfigExecutor from './executor';
import { DEMO_MODEL, TempWorkspace } from '../../plugin/test-support/temp-workspace';

let ws: TempWorkspace;
beforeEach(() => (ws = new TempWorkspace()));
afterEach(() => ws.cleanup());

const context = (): ExecutorContext =>
  ({ root: ws.root, cwd: ws.root, isVerbose: false, projectName: 'demo', projectsConfigurations: { version: 2, projects: {} }, nxJsonConfiguration: {}, projectGraph: { nodes: {}, dependencies: {} } }) as unknown as ExecutorContext;

function model(extra: Record<string, unknown>): void {
  ws.write('m/mlc-model.yaml', stringify({ name: 'demo', source: DEMO_MODEL, quantizations: ['q4f16_1'], targets: ['cpu'], convTemplate: 'LM', ...extra }));
}

async function run(): Promise<{ ok: boolean; chat: Record<string, unknown>; libInputs: string }> {
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const r = await genConfigExecutor({ model: 'm/mlc-model.yaml', quantization: 'q4f16_1' }, context());
    const dir = path.join(ws.root, 'dist', 'm', 'q4f16_1');
    if (!r.success) return { ok: false, chat: {}, libInputs: '' };
    return { ok: true, chat: JSON.parse(fs.readFileSync(path.join(dir, 'mlc-chat-config.json'), 'utf8')), libInputs: fs.readFileSync(path.join(dir, 'model-lib-inputs.json'), 'utf8') };
  } finally {
    out.mockRestore();
  }
}

describe('gen-config executor', () => {
  it('writes the MLC model directory from the model file, with the settings it declares', async () => {
    model({ overrides: { context_window_size: 256 } });
    const r = await run();
    expect(r.ok).toBe(true);
    expect((r.chat.conv_template as { name: string }).name).toBe('LM');
    expect(r.chat.context_window_size).toBe(256);
    expect(fs.existsSync(path.join(ws.root, 'dist', 'm', 'q4f16_1', 'tokenizer.json'))).toBe(true);
  });

  it("model-lib-inputs.json ignores the template but follows model_config (compile's cache key)", async () => {
    model({});
    const lm = await run();
    model({ convTemplate: 'chatml' });
    const chatml = await run();
    expect((chatml.chat.conv_template as { name: string }).name).toBe('chatml');
    expect(chatml.libInputs).toBe(lm.libInputs);
    model({ overrides: { context_window_size: 256 } });
    const small = await run();
    expect(small.libInputs).not.toBe(lm.libInputs);
    const parsed = JSON.parse(small.libInputs);
    // the demo's config.json: hidden 256, 6 layers, vocab 4096 (examples/pycode-6m/config.json)
    expect(parsed).toMatchObject({ model_type: 'llama', quantization: 'q4f16_1', model_config: { context_window_size: 256, hidden_size: 256, num_hidden_layers: 6, vocab_size: 4096 } });
  });

  it('fails with the file and field for a bad model file, and writes nothing', async () => {
    ws.write('m/mlc-model.yaml', stringify({ name: 'demo', source: DEMO_MODEL, quantizations: ['q4f16_1'], targets: ['cpu'] }));
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const r = await genConfigExecutor({ model: 'm/mlc-model.yaml', quantization: 'q4f16_1' }, context());
      expect(r.success).toBe(false);
      expect(String(err.mock.calls[0][0])).toMatch(/mlc-model\.yaml[\s\S]*field: convTemplate/);
    } finally {
      err.mockRestore();
    }
    expect(fs.existsSync(path.join(ws.root, 'dist'))).toBe(false);
  });

  it('rejects an unknown option by name', async () => {
    model({});
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const r = await genConfigExecutor({ model: 'm/mlc-model.yaml', quantization: 'q4f16_1', convTemplat: 'LM' }, context());
      expect(r.success).toBe(false);
      expect(String(err.mock.calls[0][0])).toMatch(/convTemplat/);
    } finally {
      err.mockRestore();
    }
  });
});
