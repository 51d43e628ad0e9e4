import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { HF_TINY, tempDir } from '../../core/test-support/paths';
import { startFakeHub } from '../../core/acquire/test-support/fake-hub';
import { LocalStore } from '../../core/store/local-store';
import { materialiseManifest, readStoreManifest } from '../../core/store/manifest';
import acquireExecutor from './executor';

const SHA = 'aaaabbbbccccddddeeeeffff0000111122223333';

function context(root: string): ExecutorContext {
  return {
    root,
    cwd: root,
    isVerbose: false,
    projectName: 'tiny',
    targetName: 'acquire',
    projectsConfigurations: { version: 2, projects: {} },
    nxJsonConfiguration: {},
    projectGraph: { nodes: {}, dependencies: {} },
  } as unknown as ExecutorContext;
}

test('acquire executor writes the checkpoint and its lock; with store the lock alone rebuilds it elsewhere', async () => {
  const hub = await startFakeHub({ repo: 'org/tiny', dir: path.join(HF_TINY, 'llama'), sha: SHA });
  const ws = tempDir();
  const storeRoot = tempDir();
  const saved = { store: process.env.NXMLC_STORE, bucket: process.env.NXMLC_S3_BUCKET, write: process.stdout.write };
  process.env.NXMLC_STORE = storeRoot;
  delete process.env.NXMLC_S3_BUCKET;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    const r = await acquireExecutor({ repo: 'org/tiny@main', output: 'models/tiny', hubUrl: hub.url, store: true }, context(ws));
    process.stdout.write = saved.write;
    expect(r).toEqual({ success: true });
    const lockFile = path.join(ws, 'models/tiny/nx-mlc.lock.json');
    expect(JSON.parse(fs.readFileSync(lockFile, 'utf8')).revision).toBe(SHA);

    // "Fresh machine after an Nx cache hit": only the lock is there; the store supplies the bytes.
    const fresh = tempDir();
    const res = await materialiseManifest(new LocalStore(storeRoot), readStoreManifest(lockFile), fresh);
    expect(res.files).toBe(4);
    for (const f of ['config.json', 'model.safetensors']) {
      expect(fs.readFileSync(path.join(fresh, f)).equals(fs.readFileSync(path.join(HF_TINY, 'llama', f)))).toBe(true);
    }

    const bad = await acquireExecutor({ repo: 'not a repo', output: 'x' }, context(ws));
    expect(bad).toEqual({ success: false });
  } finally {
    process.stdout.write = saved.write;
    if (saved.store === undefined) delete process.env.NXMLC_STORE;
    else process.env.NXMLC_STORE = saved.store;
    if (saved.bucket !== undefined) process.env.NXMLC_S3_BUCKET = saved.bucket;
    await hub.close();
  }
});
