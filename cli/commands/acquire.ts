import * as path from 'node:path';
import { Command } from 'commander';
import { acquire } from '../../core/acquire/acquire';
import { parseRepoRef } from '../../core/acquire/repo-ref';
import { openStores } from '../../core/store/config';
import { pushManifest } from '../../core/store/manifest';
import { info, out, parseIntOption, runCommand } from '../output';

export function registerAcquire(program: Command): void {
  program
    .command('acquire')
    .description('Download a checkpoint from the Hugging Face Hub, pinned to a commit, verified, with a lock file (token: $HF_TOKEN)')
    .argument('<repo>', 'model id, optionally with a revision: org/name[@branch|tag|sha]')
    .requiredOption('-o, --output <dir>', 'directory to write the checkpoint and nx-mlc.lock.json to')
    .option('--include <glob...>', 'only these files (default: everything a stage reads)')
    .option('--exclude <glob...>', 'skip these files (replaces the default exclusions)')
    .option('--hub-url <url>', 'Hub endpoint (default $HF_ENDPOINT or https://huggingface.co)')
    .option('--concurrency <n>', 'files downloaded at once (default 4)', parseIntOption('concurrency'))
    .option('--store', 'also put the files into the content-addressed store (and push them when NXMLC_S3_BUCKET is set)')
    .action((ref: string, o) =>
      runCommand(async () => {
        const { repo, revision } = parseRepoRef(ref);
        let last = 0;
        const r = await acquire({
          repo,
          revision,
          outDir: o.output,
          hubUrl: o.hubUrl,
          include: o.include,
          exclude: o.exclude,
          concurrency: o.concurrency,
          onProgress: (p) => {
            const now = Date.now();
            if (process.stderr.isTTY && now - last > 200) {
              last = now;
              process.stderr.write(`\r${p.file}: ${(p.bytesDone / 2 ** 20).toFixed(1)} / ${(p.bytesTotal / 2 ** 20).toFixed(1)} MiB   `);
            }
          },
        });
        if (process.stderr.isTTY) process.stderr.write('\n');
        const bytes = r.lock.files.reduce((s, f) => s + f.size, 0);
        info(`${r.lock.files.length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB; downloaded ${(r.downloadedBytes / 2 ** 20).toFixed(1)} MiB, reused ${r.reusedFiles} file(s), resumed ${r.resumedFiles}`);
        if (o.store) {
          const { local, remote } = openStores();
          for (const f of r.lock.files) await local.putFile(path.join(o.output, f.path), { expected: f.sha256, link: true });
          const sent = remote ? await pushManifest(local, remote, { kind: 'nx-mlc-store-manifest', version: 1, files: r.lock.files }) : 0;
          info(`in the store ${local.root}${remote ? `; pushed ${(sent / 2 ** 20).toFixed(1)} MiB to ${remote.description}` : ''}`);
        }
        out(`${repo}@${r.lock.revision} → ${path.relative(process.cwd(), r.lockFile) || r.lockFile}`);
      }),
    );
}
