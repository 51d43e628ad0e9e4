import * as path from 'node:path';
import { Command } from 'commander';
import { openStores } from '../../core/store/config';
import { gcStore, parseSize } from '../../core/store/gc';
import { ingestDir, materialiseManifest, MANIFEST_FILE, pushManifest, readStoreManifest } from '../../core/store/manifest';
import { verifyStore } from '../../core/store/verify';
import type { MaterialiseMode } from '../../core/store/local-store';
import { NxMlcError } from '../../core/support/errors';
import { info, out, runCommand } from '../output';

const fmt = (n: number): string => (n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${n} B`);

/** Manifest path given either the manifest itself or the directory holding it. */
const manifestPath = (p: string): string => (p.endsWith('.json') ? p : path.join(p, MANIFEST_FILE));

export function registerStore(program: Command): void {
  const store = program
    .command('store')
    .description('The content-addressed weight store (local: $NXMLC_STORE or ~/.cache/nx-mlc/store; remote: $NXMLC_S3_BUCKET)')
    .option('--root <dir>', 'local store directory');

  const stores = () => openStores({ root: store.opts().root });

  store
    .command('ls')
    .description('List blobs, least recently used first')
    .option('--json', 'print JSON')
    .action((o) =>
      runCommand(() => {
        const blobs = stores().local.list().sort((a, b) => a.lastUsed.getTime() - b.lastUsed.getTime());
        if (o.json) return out(JSON.stringify(blobs, null, 2));
        for (const b of blobs) out(`${b.sha256}  ${fmt(b.size).padStart(10)}  ${b.lastUsed.toISOString()}`);
        info(`${blobs.length} blob(s), ${fmt(blobs.reduce((s, b) => s + b.size, 0))} in ${stores().local.root}`);
      }),
    );

  store
    .command('gc')
    .description('Remove least-recently-used blobs beyond a size limit and/or unused for N days')
    .option('--max-size <size>', 'keep at most this much, e.g. 50GB (default $NXMLC_STORE_MAX_SIZE)')
    .option('--max-age <days>', 'remove blobs unused for this many days', (v: string) => Number(v))
    .option('--keep <manifest...>', 'never remove blobs these manifests (or directories with one) list')
    .option('--dry-run', 'only report')
    .action((o) =>
      runCommand(() => {
        const maxSize = o.maxSize ?? process.env.NXMLC_STORE_MAX_SIZE;
        if (maxSize === undefined && o.maxAge === undefined) {
          throw new NxMlcError('store gc needs a limit', { field: '--max-size / --max-age', fix: 'Pass --max-size 50GB and/or --max-age 30 (or set NXMLC_STORE_MAX_SIZE).' });
        }
        const keep = new Set<string>();
        for (const m of o.keep ?? []) for (const f of readStoreManifest(manifestPath(m)).files) keep.add(f.sha256);
        const r = gcStore(stores().local, { maxBytes: maxSize === undefined ? undefined : parseSize(maxSize, '--max-size'), maxAgeDays: o.maxAge, keep, dryRun: o.dryRun });
        for (const b of r.removed) out(`${o.dryRun ? 'would remove' : 'removed'} ${b.sha256} ${fmt(b.size)}`);
        info(`${o.dryRun ? 'would free' : 'freed'} ${fmt(r.freedBytes)} (${r.removed.length} blob(s)); ${fmt(r.keptBytes)} kept; ${r.removedTemps} stale temp file(s)`);
      }),
    );

  store
    .command('verify')
    .description('Re-hash every blob; --repair moves corrupt ones aside so they are fetched again')
    .option('--repair', 'quarantine corrupt blobs')
    .action((o) =>
      runCommand(async () => {
        const r = await verifyStore(stores().local, { repair: o.repair });
        for (const c of r.corrupt) out(`CORRUPT ${c}${o.repair ? ' (moved to corrupt/)' : ''}`);
        info(`${r.checked} blob(s), ${fmt(r.bytes)} checked, ${r.corrupt.length} corrupt`);
        if (r.corrupt.length && !o.repair) process.exitCode = 1;
      }),
    );

  store
    .command('put')
    .description('Move the files of a directory into the store and write its manifest (nx-mlc-store.json)')
    .argument('<dir>', 'directory, e.g. convert-weight output')
    .option('--include <regex>', 'only files whose relative path matches (default: all)')
    .option('--link', 'hard-link the files into the store instead of copying (they become read-only)')
    .option('--push', 'also upload to the remote store')
    .action((dir: string, o) =>
      runCommand(async () => {
        const s = stores();
        if (o.push && !s.remote) throw new NxMlcError('--push needs a remote store', { field: 'NXMLC_S3_BUCKET', fix: 'Set NXMLC_S3_BUCKET (and NXMLC_S3_ENDPOINT for non-AWS services).' });
        const re = o.include ? new RegExp(o.include) : undefined;
        const m = await ingestDir(s.local, dir, { include: re ? (p) => re.test(p) : undefined, link: o.link, remote: o.push ? s.remote : undefined });
        out(`${m.files.length} file(s), ${fmt(m.files.reduce((a, f) => a + f.size, 0))} → ${path.join(dir, MANIFEST_FILE)}`);
      }),
    );

  store
    .command('push')
    .description('Upload the blobs a manifest lists to the remote store (only those it lacks)')
    .argument('<manifest>', 'manifest file or a directory with nx-mlc-store.json')
    .action((m: string) =>
      runCommand(async () => {
        const s = stores();
        if (!s.remote) throw new NxMlcError('No remote store configured', { field: 'NXMLC_S3_BUCKET', fix: 'Set NXMLC_S3_BUCKET (and NXMLC_S3_ENDPOINT for non-AWS services).' });
        const sent = await pushManifest(s.local, s.remote, readStoreManifest(manifestPath(m)));
        out(`uploaded ${fmt(sent)} to ${s.remote.description}`);
      }),
    );

  store
    .command('materialise')
    .alias('materialize')
    .description('Lay out the files a manifest lists, fetching missing blobs from the remote store')
    .argument('<manifest>', 'manifest file or a directory with nx-mlc-store.json')
    .option('-o, --output <dir>', 'where to put the files (default: the manifest\'s directory)')
    .option('--mode <mode>', 'auto | reflink | hardlink | copy', 'auto')
    .action((m: string, o) =>
      runCommand(async () => {
        const s = stores();
        const file = manifestPath(m);
        if (!['auto', 'reflink', 'hardlink', 'copy'].includes(o.mode)) throw new NxMlcError(`Unknown mode "${o.mode}"`, { field: '--mode', fix: 'Use auto, reflink, hardlink or copy.' });
        const r = await materialiseManifest(s.local, readStoreManifest(file), o.output ?? path.dirname(file), { remote: s.remote, mode: o.mode as MaterialiseMode });
        const how = Object.entries(r.methods).map(([k, v]) => `${v} by ${k}`).join(', ');
        out(`${r.files} file(s), ${fmt(r.bytes)}: ${r.skipped} already in place, ${r.fetched} fetched${how ? `, ${how}` : ''}`);
      }),
    );
}
