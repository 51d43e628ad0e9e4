import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

/**
 * A local stand-in for the Hugging Face Hub's file endpoints, serving one fixture directory as a model
 * repository at one commit, with the response shapes @huggingface/hub reads:
 *   GET /api/models/{repo}/revision/{rev}          model info with `sha`
 *   GET /api/models/{repo}/tree/{rev}?recursive=   files with `oid` (git blob id) and `lfs.oid` (sha256)
 *   GET /{repo}/resolve/{rev}/{path}               bytes (Range supported); LFS files redirect to /cdn/
 */
export interface FakeHubOptions {
  repo: string;
  dir: string;
  sha: string;
  /** Which files the repository keeps in LFS (default: *.safetensors). */
  lfs?: (file: string) => boolean;
  /** When set, every request must carry this bearer token. */
  token?: string;
  /** Cut the connection after this many body bytes of the first download of this file (simulates a drop). */
  dropFile?: { path: string; afterBytes: number };
  /** Serve wrong bytes for this file (simulates corruption in transit). */
  corruptFile?: string;
}

export interface FakeHub {
  url: string;
  /** Every request as "METHOD path [Range]". */
  requests: string[];
  close(): Promise<void>;
}

export function gitBlobId(content: Buffer): string {
  return crypto.createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export async function startFakeHub(o: FakeHubOptions): Promise<FakeHub> {
  const isLfs = o.lfs ?? ((f: string) => f.endsWith('.safetensors'));
  const files = fs.readdirSync(o.dir).filter((f) => fs.statSync(path.join(o.dir, f)).isFile()).sort();
  const requests: string[] = [];
  let dropped = false;

  const entry = (f: string) => {
    const content = fs.readFileSync(path.join(o.dir, f));
    if (!isLfs(f)) return { type: 'file', path: f, size: content.length, oid: gitBlobId(content) };
    const sha256 = crypto.createHash('sha256').update(content).digest('hex');
    const pointer = Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${content.length}\n`);
    return { type: 'file', path: f, size: content.length, oid: gitBlobId(pointer), lfs: { oid: sha256, size: content.length, pointerSize: pointer.length } };
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${req.method} ${url.pathname}${req.headers.range ? ` ${req.headers.range}` : ''}`);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (o.token && req.headers.authorization !== `Bearer ${o.token}`) return json(401, { error: 'Invalid credentials in Authorization header' });
    const repoPrefix = `/api/models/${o.repo}/`;
    const knownRev = (r: string) => r === 'main' || r === o.sha;

    if (url.pathname.startsWith(repoPrefix + 'revision/')) {
      const rev = decodeURIComponent(url.pathname.slice((repoPrefix + 'revision/').length));
      if (!knownRev(rev)) return json(404, { error: `Invalid rev id: ${rev}` }, { 'X-Error-Code': 'RevisionNotFound' });
      return json(200, { _id: 'fake0001', id: o.repo, sha: o.sha, private: false, downloads: 0, likes: 0, lastModified: '2026-11-01T00:00:00.000Z', siblings: files.map((rfilename) => ({ rfilename })) });
    }
    if (url.pathname.startsWith(repoPrefix + 'tree/')) {
      const rev = decodeURIComponent(url.pathname.slice((repoPrefix + 'tree/').length));
      if (!knownRev(rev)) return json(404, { error: `Invalid rev id: ${rev}` }, { 'X-Error-Code': 'RevisionNotFound' });
      return json(200, files.map(entry));
    }
    if (url.pathname.startsWith('/api/')) return json(404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });

    let file: string | undefined;
    const resolvePrefix = `/${o.repo}/resolve/`;
    if (url.pathname.startsWith(resolvePrefix)) {
      const [rev, ...rest] = url.pathname.slice(resolvePrefix.length).split('/');
      if (!knownRev(decodeURIComponent(rev))) return json(404, { error: 'Revision not found' }, { 'X-Error-Code': 'RevisionNotFound' });
      file = decodeURIComponent(rest.join('/'));
      if (!files.includes(file)) return json(404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
      if (isLfs(file)) {
        // The Hub redirects LFS downloads to its CDN, exposing the LFS oid as X-Linked-ETag.
        const e = entry(file);
        res.writeHead(302, { Location: `/cdn/${encodeURIComponent(file)}`, 'X-Linked-ETag': `"${e.lfs!.oid}"`, 'X-Linked-Size': String(e.size), ETag: `"${e.oid}"` });
        return res.end();
      }
    } else if (url.pathname.startsWith('/cdn/')) {
      file = decodeURIComponent(url.pathname.slice('/cdn/'.length));
      if (!files.includes(file)) return json(404, { error: 'not found' });
    } else return json(404, { error: 'not found' });

    let content = fs.readFileSync(path.join(o.dir, file));
    if (o.corruptFile === file) {
      content = Buffer.from(content);
      content[content.length >> 1] ^= 0xff;
    }
    const etag = `"${isLfs(file) ? entry(file).lfs!.oid : gitBlobId(content)}"`;
    const m = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
    let start = 0;
    let end = content.length - 1;
    if (m) {
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), end) : end;
      if (start > end) {
        res.writeHead(416, { 'Content-Range': `bytes */${content.length}` });
        return res.end();
      }
      res.writeHead(206, { 'Content-Type': 'application/octet-stream', 'Content-Length': end - start + 1, 'Content-Range': `bytes ${start}-${end}/${content.length}`, ETag: etag, 'Accept-Ranges': 'bytes' });
    } else {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': content.length, ETag: etag, 'Accept-Ranges': 'bytes' });
    }
    const body = content.subarray(start, end + 1);
    if (o.dropFile?.path === file && !dropped && body.length > o.dropFile.afterBytes) {
      dropped = true;
      res.write(body.subarray(0, o.dropFile.afterBytes), () => setTimeout(() => res.destroy(), 20));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
