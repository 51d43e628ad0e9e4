/**
 * The page script: core/webgpu/browser/app.ts and what it imports (the webgpu host, the tokenizer, MLC
 * sampling and prompt code), bundled for the browser by esbuild once per server start. From sources the
 * entry is the .ts file; from the published package (dist/) it is the compiled .js next to this file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NxMlcError } from '../support/errors';

export function appEntry(): string {
  for (const ext of ['.ts', '.js']) {
    const f = path.join(__dirname, '..', 'webgpu', 'browser', `app${ext}`);
    if (fs.existsSync(f)) return f;
  }
  throw new NxMlcError('the web page script (core/webgpu/browser/app) is missing from this nx-mlc install', { fix: 'reinstall nx-mlc' });
}

export async function bundleApp(): Promise<string> {
  // Loaded lazily: only serve-web needs esbuild.
  const esbuild = await import('esbuild');
  const res = await esbuild.build({
    entryPoints: [appEntry()],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    minify: false,
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  return res.outputFiles[0].text;
}
