import * as crypto from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { NxMlcError } from '../support/errors';
import { BodyLengthError, type CacheBackend } from './backend';

/**
 * Nx's self-hosted remote cache API (OpenAPI "Nx custom remote cache specification" 1.0.0):
 *   GET /v1/cache/{hash}  200 + octet-stream | 404 miss | 401 no/invalid token
 *   PUT /v1/cache/{hash}  200 stored | 409 exists | 401 | 403 read-only token | 411 no Content-Length
 * Bodies are streamed between the socket and the backend, never buffered whole.
 */
export interface CacheServerOptions {
  backend: CacheBackend;
  /** Bearer tokens allowed to read (GET). Read-write tokens may read too. */
  readTokens?: string[];
  /** Bearer tokens allowed to read and write (PUT): give these only to trusted branches' CI. */
  writeTokens?: string[];
  /** Serve without any token (read-write for everyone). Only for a trusted local network. */
  allowAnonymous?: boolean;
  /** Largest accepted PUT body in bytes (default: no limit). */
  maxBodyBytes?: number;
  log?: (line: string) => void;
}

/** Hashes Nx sends are decimal or hex digests; anything path-like is refused before touching storage. */
const HASH_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const ROUTE_RE = /^\/v1\/cache\/([^/?#]+)$/;

type Scope = 'none' | 'read' | 'write';

export function createCacheServer(o: CacheServerOptions): http.Server {
  const read = (o.readTokens ?? []).filter(Boolean).map(digest);
  const write = (o.writeTokens ?? []).filter(Boolean).map(digest);
  if (!o.allowAnonymous && read.length + write.length === 0) {
    throw new NxMlcError('The cache server has no access tokens', {
      field: 'NXMLC_CACHE_READ_TOKENS / NXMLC_CACHE_WRITE_TOKENS',
      fix: 'Set at least one token (comma-separated lists), or pass --allow-anonymous on a trusted network.',
    });
  }
  const scopeOf = (req: http.IncomingMessage): Scope => {
    if (o.allowAnonymous) return 'write';
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!m) return 'none';
    const d = digest(m[1].trim());
    if (write.some((w) => crypto.timingSafeEqual(w, d))) return 'write';
    if (read.some((r) => crypto.timingSafeEqual(r, d))) return 'read';
    return 'none';
  };
  const log = o.log ?? (() => undefined);

  return http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      log(`error ${req.method} ${req.url}: ${(e as Error).message}`);
      if (!res.headersSent) text(res, e instanceof BodyLengthError ? 400 : 500, e instanceof BodyLengthError ? (e as Error).message : 'internal error');
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = ROUTE_RE.exec(url.pathname);
    if (!m) return drainThen(req, () => text(res, 404, 'not found'));
    const hash = decodeURIComponent(m[1]);
    if (!HASH_RE.test(hash)) return drainThen(req, () => text(res, 400, 'invalid hash'));
    const scope = scopeOf(req);
    if (scope === 'none') return drainThen(req, () => text(res, 401, 'missing or invalid bearer token'));

    if (req.method === 'GET' || req.method === 'HEAD') {
      const entry = await o.backend.get(hash);
      if (!entry) {
        log(`miss ${hash}`);
        return text(res, 404, 'not found');
      }
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': entry.size });
      if (req.method === 'HEAD') {
        entry.body.destroy();
        res.end();
        return;
      }
      log(`hit ${hash} (${entry.size} bytes)`);
      await pipeline(entry.body, res);
      return;
    }
    if (req.method === 'PUT') {
      if (scope !== 'write') return drainThen(req, () => text(res, 403, 'this token may only read the cache'));
      const lengthHeader = req.headers['content-length'];
      const size = Number(lengthHeader);
      if (lengthHeader === undefined || !Number.isInteger(size) || size < 0) return drainThen(req, () => text(res, 411, 'Content-Length required'));
      if (o.maxBodyBytes !== undefined && size > o.maxBodyBytes) return drainThen(req, () => text(res, 413, `body larger than ${o.maxBodyBytes} bytes`));
      // Answer 409 before reading a possibly huge body when the entry already exists.
      if (await o.backend.has(hash)) return drainThen(req, () => text(res, 409, 'cache entry already exists'));
      const r = await o.backend.put(hash, req, size);
      log(`${r === 'stored' ? 'stored' : 'exists'} ${hash} (${size} bytes)`);
      return text(res, r === 'stored' ? 200 : 409, r === 'stored' ? 'stored' : 'cache entry already exists');
    }
    return drainThen(req, () => text(res, 405, 'method not allowed'));
  }
}

export async function startCacheServer(o: CacheServerOptions & { host?: string; port?: number }): Promise<{ url: string; server: http.Server; close(): Promise<void> }> {
  const server = createCacheServer(o);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve);
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function digest(token: string): Buffer {
  return crypto.createHash('sha256').update(token).digest();
}

function text(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Discard an unread request body before answering, so the connection can be reused. */
function drainThen(req: http.IncomingMessage, answer: () => void): void {
  if (req.readableEnded || req.method === 'GET' || req.method === 'HEAD') return answer();
  req.resume();
  req.once('end', answer);
  req.once('error', answer);
}
