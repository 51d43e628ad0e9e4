import * as path from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { acquire } from '../../core/acquire/acquire';
import { parseRepoRef } from '../../core/acquire/repo-ref';
import { openStores } from '../../core/store/config';
import { pushManifest } from '../../core/store/manifest';
import { NxMlcError } from '../../core/support/errors';
import { progressLine } from '../shared/progress';
import { formatBytes, log, parseOptions, runStage } from '../shared/run-stage';
import { AcquireOptionsSchema } from './schema';

/**
 * Step 1 of the workflow. Declare `{options.output}/nx-mlc.lock.json` as the target's only output: Nx then
 * caches a few hundred bytes, and the lock (commit sha + every file's sha256) is the input downstream stages
 * hash. With `store: true` the files also go into the content-addressed store, so a machine that got the
 * lock from the Nx cache can lay the checkpoint out with `nx-mlc store materialise <dir>/nx-mlc.lock.json`.
 */
export default async function acquireExecutor(raw: unknown, context: ExecutorContext): Promise<{ success: boolean }> {
  return runStage('acquire', context, async () => {
    const o = parseOptions(AcquireOptionsSchema, raw, 'acquire');
    const ref = parseRepoRef(o.repo, 'repo');
    if (ref.revision && o.revision && ref.revision !== o.revision) {
      throw new NxMlcError(`acquire: the revision is given twice (${ref.revision} and ${o.revision})`, { field: 'revision', fix: 'Keep one of repo@revision or revision.' });
    }
    const outDir = path.resolve(context.root, o.output);
    const progress = progressLine(`acquire ${ref.repo}`);
    const r = await acquire({
      repo: ref.repo,
      revision: o.revision ?? ref.revision,
      outDir,
      include: o.include,
      exclude: o.exclude,
      hubUrl: o.hubUrl,
      concurrency: o.concurrency,
      onProgress: (p) => progress.update(p.bytesTotal ? p.bytesDone / p.bytesTotal : 1, `${p.file} ${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}`),
    });
    progress.done();
    const total = r.lock.files.reduce((s, f) => s + f.size, 0);
    log(`acquire ${ref.repo}@${r.lock.revision}: ${r.lock.files.length} files, ${formatBytes(total)} (downloaded ${formatBytes(r.downloadedBytes)}) → ${path.relative(context.root, r.lockFile)}`);
    if (o.store) {
      const { local, remote } = openStores();
      for (const f of r.lock.files) await local.putFile(path.join(outDir, f.path), { expected: f.sha256, link: true });
      const sent = remote ? await pushManifest(local, remote, { kind: 'nx-mlc-store-manifest', version: 1, files: r.lock.files }) : 0;
      log(`acquire: files in the store ${local.root}${remote ? `; pushed ${formatBytes(sent)} to ${remote.description}` : ''}`);
    }
    return true;
  });
}
