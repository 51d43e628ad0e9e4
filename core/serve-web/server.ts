/**
 * `nx-mlc serve-web <OUT>`: a small static server for the WebGPU chat page.
 *   /             the page (page.ts)            /app.js     the bundled page script (bundle.ts)
 *   /config.json  where the model and library are, the default prompt
 *   /model/…      files of the model directory OUT (mlc-chat-config.json, tokenizer, tensor-cache.json, shards)
 *   /lib.mjs      the webgpu library: --lib, else a *.mjs library in OUT or OUT/libs, else compiled in memory
 *                 from OUT/mlc-chat-config.json (compile --device webgpu needs no toolchain).
 * Binds 127.0.0.1 by default: WebGPU and the Cache API need a secure context, which localhost is.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { NxMlcError } from '../support/errors';
import { lowerToWebgpu } from '../compiler/compile-webgpu';
import { parseWebgpuLibrary } from '../webgpu/artifact';
import { bundleApp } from './bundle';
import { PAGE_HTML } from './page';

export interface ServeWebOptions {
  /** Model directory: gen-config + convert-weight output. */
  modelDir: string;
  /** A compiled webgpu library (.mjs); found or compiled when absent. */
  library?: string;
  port?: number;
  host?: string;
  /** Text the prompt box starts with. */
  defaultPrompt?: string;
  /** --overrides for an in-memory compile. */
  overrides?: Record<string, number>;
}

export interface ServeWebHandle {
  url: string;
  port: number;
  /** Where the library came from (a file, or "compiled from <config>"). */
  librarySource: string;
  /** GET count per path since start (shows what the browser fetched, e.g. shards it had cached). */
  requests: Map<string, number>;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.bin': 'application/octet-stream',
  '.model': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
};

/** The webgpu library for a model directory: explicit, found next to it, or compiled now. */
export function resolveLibrary(modelDir: string, library?: string, overrides: Record<string, number> = {}): { text: string; source: string } {
  if (library) {
    if (!fs.existsSync(library)) throw new NxMlcError('webgpu library not found', { file: library, field: 'lib', fix: 'compile one with `nx-mlc compile <OUT> --device webgpu -o <lib>.mjs`' });
    const text = fs.readFileSync(library, 'utf8');
    parseWebgpuLibrary(text, library);
    return { text, source: library };
  }
  for (const dir of [modelDir, path.join(modelDir, 'libs')]) {
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.mjs')).sort()) {
      const file = path.join(dir, f);
      const text = fs.readFileSync(file, 'utf8');
      try {
        parseWebgpuLibrary(text, file);
        return { text, source: file };
      } catch {
        // not a webgpu library: keep looking
      }
    }
  }
  const lowered = lowerToWebgpu(modelDir, overrides);
  return { text: lowered.module, source: `compiled from ${path.join(modelDir, 'mlc-chat-config.json')}` };
}

export async function serveWeb(opts: ServeWebOptions): Promise<ServeWebHandle> {
  const modelDir = path.resolve(opts.modelDir);
  if (!fs.existsSync(path.join(modelDir, 'mlc-chat-config.json'))) {
    throw new NxMlcError('the model directory has no mlc-chat-config.json', { file: path.join(modelDir, 'mlc-chat-config.json'), fix: 'run `nx-mlc gen-config` and `nx-mlc convert-weight` into it first' });
  }
  if (!['tensor-cache.json', 'ndarray-cache.json'].some((f) => fs.existsSync(path.join(modelDir, f)))) {
    throw new NxMlcError('the model directory has no tensor-cache.json', { file: path.join(modelDir, 'tensor-cache.json'), fix: 'run `nx-mlc convert-weight <hf-dir> --quantization <q> -o <OUT>` first' });
  }
  const lib = resolveLibrary(modelDir, opts.library, opts.overrides);
  const app = await bundleApp();
  const config = JSON.stringify({
    name: path.basename(modelDir),
    modelUrl: 'model/',
    libraryUrl: 'lib.mjs',
    defaultPrompt: opts.defaultPrompt ?? 'def fibonacci(n):',
  });

  const requests = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache' });
      res.end(body);
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = decodeURIComponent(url.pathname);
    requests.set(p, (requests.get(p) ?? 0) + 1);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, TYPES['.txt'], 'method not allowed');
    if (p === '/' || p === '/index.html') return send(200, TYPES['.html'], PAGE_HTML);
    if (p === '/app.js') return send(200, TYPES['.js'], app);
    if (p === '/lib.mjs') return send(200, TYPES['.mjs'], lib.text);
    if (p === '/config.json') return send(200, TYPES['.json'], config);
    if (p.startsWith('/model/')) {
      const file = path.resolve(modelDir, `.${p.slice('/model'.length)}`);
      if (!file.startsWith(modelDir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return send(404, TYPES['.txt'], 'not found');
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': fs.statSync(file).size });
      fs.createReadStream(file).pipe(res);
      return;
    }
    send(404, TYPES['.txt'], 'not found');
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, host, resolve);
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${host}:${port}/`,
    port,
    librarySource: lib.source,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
