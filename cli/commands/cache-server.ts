import * as path from 'node:path';
import { Command } from 'commander';
import { FsCacheBackend, S3CacheBackend, type CacheBackend } from '../../core/cache-server/backend';
import { startCacheServer } from '../../core/cache-server/server';
import { openStores } from '../../core/store/config';
import { parseSize } from '../../core/store/gc';
import { info, parseIntOption, runCommand } from '../output';

const list = (s: string | undefined): string[] => (s ?? '').split(',').map((t) => t.trim()).filter(Boolean);

export function registerCacheServer(program: Command): void {
  program
    .command('cache-server')
    .description("Serve Nx's self-hosted remote cache API (GET/PUT /v1/cache/{hash}) from the weight store's S3 bucket or local directory")
    .option('--port <n>', 'port (default 3030 or $PORT)', parseIntOption('port'))
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--root <dir>', 'local store directory (used when no S3 bucket is configured)')
    .option('--allow-anonymous', 'serve without tokens (read-write for everyone on the network)')
    .option('--max-body <size>', 'largest accepted upload, e.g. 20GB')
    .addHelpText(
      'after',
      '\nTokens: NXMLC_CACHE_READ_TOKENS and NXMLC_CACHE_WRITE_TOKENS (comma-separated).\n' +
        'Clients: NX_SELF_HOSTED_REMOTE_CACHE_SERVER=http://host:port NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN=<token> nx run-many ...\n' +
        'Backend: the S3 bucket of NXMLC_S3_BUCKET (objects <prefix>nx-cache/<hash>), else <store>/nx-cache/.',
    )
    .action((o) =>
      runCommand(async () => {
        const { local, remote } = openStores({ root: o.root });
        const backend: CacheBackend = remote ? new S3CacheBackend(remote.client, remote.bucket, remote.prefix) : new FsCacheBackend(path.join(local.root, 'nx-cache'));
        const srv = await startCacheServer({
          backend,
          host: o.host,
          port: o.port ?? (process.env.PORT ? Number(process.env.PORT) : 3030),
          readTokens: list(process.env.NXMLC_CACHE_READ_TOKENS),
          writeTokens: list(process.env.NXMLC_CACHE_WRITE_TOKENS),
          allowAnonymous: Boolean(o.allowAnonymous),
          maxBodyBytes: o.maxBody ? parseSize(o.maxBody, '--max-body') : undefined,
          log: (l) => info(l),
        });
        info(`nx-mlc cache-server on ${srv.url} (entries in ${backend.description})`);
        await new Promise<void>((resolve) => {
          const stop = () => void srv.close().then(resolve);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      }),
    );
}
