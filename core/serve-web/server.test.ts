/**
 * serve-web without a browser: what the server hands out (page, bundled script, model files, the library
 * found or compiled), and the errors for directories that are not ready.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as http from 'node:http';
import * as path from 'node:path';
import { genConfig } from '../gen-config/gen-config';
import { convertWeight } from '../weights/convert';
import { compileWebgpu } from '../compiler/compile-webgpu';
import { parseWebgpuLibrary } from '../webgpu/artifact';
import { NxMlcError } from '../support/errors';
import { serveWeb, resolveLibrary } from './server';

const ROOT = path.resolve(__dirname, '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-serve-web-'));
const dir = path.join(work, 'llama-q4f16_1');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

beforeAll(async () => {
  genConfig({ source: path.join(ROOT, 'fixtures/hf-tiny/llama'), quantization: 'q4f16_1', convTemplate: 'LM', output: dir });
  await convertWeight({ source: path.join(ROOT, 'fixtures/hf-tiny/llama'), quantization: 'q4f16_1', output: dir, threads: 1 });
});

describe('serve-web server', () => {
  it('serves the page, the bundled script, config, model files and a library compiled in memory; refuses paths outside', async () => {
    const h = await serveWeb({ modelDir: dir, port: 0, defaultPrompt: 'hello' });
    try {
      expect(h.librarySource).toBe(`compiled from ${path.join(dir, 'mlc-chat-config.json')}`);
      const get = (p: string) => fetch(new URL(p, h.url));
      const page = await get('/');
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(await page.text()).toContain('<script type="module" src="app.js">');
      const app = await get('/app.js');
      expect(app.headers.get('content-type')).toMatch(/javascript/);
      const js = await app.text();
      // The bundle carries the host and no Node built-ins.
      expect(js).toContain('requestWebgpuDevice');
      expect(js).not.toMatch(/require\("node:/);
      expect(await (await get('/config.json')).json()).toEqual({ name: 'llama-q4f16_1', modelUrl: 'model/', libraryUrl: 'lib.mjs', defaultPrompt: 'hello' });
      const lib = parseWebgpuLibrary(await (await get('/lib.mjs')).text());
      expect(lib.metadata.quantization).toBe('q4f16_1');
      const cache = (await (await get('/model/tensor-cache.json')).json()) as { records: { dataPath: string; nbytes: number }[] };
      const shard = cache.records[0];
      const bytes = new Uint8Array(await (await get(`/model/${shard.dataPath}`)).arrayBuffer());
      expect(bytes.length).toBe(shard.nbytes);
      expect(Buffer.from(bytes).equals(fs.readFileSync(path.join(dir, shard.dataPath)))).toBe(true);
      // Encoded slashes survive URL normalisation and decode to ../ on the server: it must not leave OUT.
      const raw = (p: string) => new Promise<number>((resolve) => http.get({ host: '127.0.0.1', port: h.port, path: p }, (r) => (r.resume(), resolve(r.statusCode ?? 0))));
      expect(await raw('/model/..%2f..%2f..%2f..%2fetc%2fpasswd')).toBe(404);
      expect(await raw(`/model/..%2f${path.basename(dir)}%2fmlc-chat-config.json`)).toBe(200);
      expect((await get('/nope')).status).toBe(404);
      expect(h.requests.get('/app.js')).toBe(1);
    } finally {
      await h.close();
    }
  });

  it('prefers a library next to the weights, and checks an explicit --lib', () => {
    const lib = path.join(dir, 'libs', 'model-webgpu.mjs');
    compileWebgpu({ chatConfigPath: dir, device: 'webgpu', output: lib, overrides: 'context_window_size=64' });
    expect(resolveLibrary(dir).source).toBe(lib);
    expect(parseWebgpuLibrary(resolveLibrary(dir).text).metadata.context_window_size).toBe(64);
    const notLib = path.join(work, 'not-a-lib.mjs');
    fs.writeFileSync(notLib, 'export default 42;\n');
    expect(() => resolveLibrary(dir, notLib)).toThrow(/not an nx-mlc webgpu library/);
    expect(() => resolveLibrary(dir, path.join(work, 'missing.mjs'))).toThrow(NxMlcError);
  });

  it('names the missing file when the directory is not converted yet', async () => {
    const empty = path.join(work, 'empty');
    fs.mkdirSync(empty);
    await expect(serveWeb({ modelDir: empty, port: 0 })).rejects.toThrow(/no mlc-chat-config.json/);
    const noWeights = path.join(work, 'config-only');
    genConfig({ source: path.join(ROOT, 'fixtures/hf-tiny/llama'), quantization: 'q4f16_1', convTemplate: 'LM', output: noWeights });
    const err = await serveWeb({ modelDir: noWeights, port: 0 }).catch((e) => e);
    expect(err).toBeInstanceOf(NxMlcError);
    expect(err.message).toMatch(/no tensor-cache.json/);
    expect(err.file).toBe(path.join(noWeights, 'tensor-cache.json'));
  });
});
