import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { downloadFile, listFiles, modelInfo, type ListFileEntry } from '@huggingface/hub';
import { writeFileAtomic } from '../support/atomic';
import { NxMlcError } from '../support/errors';
import { runPool } from '../store/run-pool';
import { selectFiles } from './include';
import { isCommitSha } from './repo-ref';
import { LOCK_FILE, writeAcquireLock, type AcquireLock, type AcquireLockEntry } from './lock';

export interface AcquireOptions {
  /** "org/name" on the Hub. */
  repo: string;
  /** Branch, tag or commit (default "main"); always resolved to, and recorded as, a commit sha. */
  revision?: string;
  /** Directory the checkpoint is written to (the lock file goes there too). */
  outDir: string;
  /** Hub base URL (default $HF_ENDPOINT, else https://huggingface.co). */
  hubUrl?: string;
  /** Access token for gated/private repositories (default $HF_TOKEN or $HUGGING_FACE_HUB_TOKEN). */
  token?: string;
  /** Glob patterns of files to fetch (default: everything a stage can read; see include.ts). */
  include?: string[];
  exclude?: string[];
  /** Files downloaded at once. */
  concurrency?: number;
  fetch?: typeof fetch;
  onProgress?: (p: AcquireProgress) => void;
}

export interface AcquireProgress {
  file: string;
  bytesDone: number;
  bytesTotal: number;
}

export interface AcquireResult {
  lock: AcquireLock;
  lockFile: string;
  downloadedBytes: number;
  /** Files that were already present and verified (or memoised), and so not downloaded again. */
  reusedFiles: number;
  resumedFiles: number;
}

/** Bookkeeping beside the checkpoint: partial downloads and a (path, size, mtime) → sha256 memo. */
const WORK_DIR = '.nx-mlc-acquire';

interface StateMemo {
  files: Record<string, { size: number; mtimeMs: number; sha256: string }>;
}

export function hubEnv(env: NodeJS.ProcessEnv = process.env): { hubUrl: string; token?: string } {
  return {
    hubUrl: (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, ''),
    token: env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined,
  };
}

/**
 * Download a checkpoint from the Hugging Face Hub, pinned to a commit: resolve the revision to its sha,
 * list the files with their LFS sha256 (or git blob id), fetch each one resumably (a partial file
 * continues with a Range request), verify it, rename it into place, and write `nx-mlc.lock.json`,
 * the small, deterministic file downstream stages use as their cache key.
 */
export async function acquire(o: AcquireOptions): Promise<AcquireResult> {
  const env = hubEnv();
  const hubUrl = (o.hubUrl ?? env.hubUrl).replace(/\/+$/, '');
  const accessToken = o.token ?? env.token;
  const common = { hubUrl, accessToken, fetch: o.fetch } as const;
  const outDir = path.resolve(o.outDir);
  const requested = o.revision ?? 'main';

  const info = await hubCall(() => modelInfo({ name: o.repo, revision: requested, additionalFields: ['sha'], ...common }), o.repo, requested, hubUrl);
  const sha = (info as { sha?: string }).sha;
  if (!sha || !isCommitSha(sha)) {
    throw new NxMlcError(`The Hub did not return a commit sha for ${o.repo}@${requested}`, { field: 'revision', fix: 'Pass a 40-hex commit sha as the revision.' });
  }
  if (isCommitSha(requested) && requested !== sha) {
    throw new NxMlcError(`The Hub resolved ${o.repo}@${requested} to a different commit (${sha})`, { field: 'revision', fix: 'Check the revision.' });
  }

  const entries: ListFileEntry[] = [];
  await hubCall(async () => {
    for await (const e of listFiles({ repo: o.repo, revision: sha, recursive: true, ...common })) if (e.type === 'file') entries.push(e);
  }, o.repo, sha, hubUrl);
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const wanted = selectFiles([...byPath.keys()], o.include, o.exclude);
  if (wanted.length === 0) {
    throw new NxMlcError(`Nothing to download from ${o.repo}@${sha}: no file matches the include/exclude patterns`, { field: 'include', fix: 'Widen --include (e.g. "*.json" "*.safetensors").' });
  }

  const work = path.join(outDir, WORK_DIR);
  fs.mkdirSync(path.join(work, 'parts'), { recursive: true });
  const memoFile = path.join(work, 'state.json');
  const memo: StateMemo = readJson<StateMemo>(memoFile) ?? { files: {} };
  const result = { downloadedBytes: 0, reusedFiles: 0, resumedFiles: 0 };
  const files: AcquireLockEntry[] = [];

  await runPool(wanted, o.concurrency ?? 4, async (rel) => {
    const e = byPath.get(rel)!;
    const expected = e.lfs ? { size: e.lfs.size, sha256: e.lfs.oid } : { size: e.size, gitOid: e.oid };
    const dest = safeJoin(outDir, rel);

    // 1. Already here? Trust the memo only if size and mtime are unchanged, else re-hash.
    const have = statOrUndefined(dest);
    if (have && have.size === expected.size) {
      const m = memo.files[rel];
      const sha256 = m && m.size === have.size && m.mtimeMs === have.mtimeMs ? m.sha256 : await hashFile(dest, expected.size).then((h) => (matches(h, expected) ? h.sha256 : undefined));
      if (sha256 && (!expected.sha256 || sha256 === expected.sha256)) {
        files.push({ path: rel, size: have.size, sha256, lfs: Boolean(e.lfs) });
        memo.files[rel] = { size: have.size, mtimeMs: have.mtimeMs, sha256 };
        result.reusedFiles++;
        return;
      }
    }

    // 2. Download (resuming a partial file), hashing as the bytes arrive.
    const part = path.join(work, 'parts', `${rel.replace(/\//g, '__')}.part`);
    let start = statOrUndefined(part)?.size ?? 0;
    if (start > expected.size) {
      fs.rmSync(part);
      start = 0;
    }
    if (start > 0) result.resumedFiles++;
    const h = newHashes(expected.size);
    if (start > 0) {
      for await (const chunk of fs.createReadStream(part, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
    }
    if (start < expected.size) {
      const blob = await hubCall(() => downloadFile({ repo: o.repo, path: rel, revision: sha, ...common }), o.repo, sha, hubUrl);
      if (!blob) throw new NxMlcError(`${rel} is listed but cannot be downloaded from ${o.repo}@${sha}`, { field: rel, fix: 'Retry; if it persists, exclude the file.' });
      let done = start;
      const tap = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          h.update(chunk);
          done += chunk.length;
          result.downloadedBytes += chunk.length;
          o.onProgress?.({ file: rel, bytesDone: done, bytesTotal: expected.size });
          cb(null, chunk);
        },
      });
      await pipeline(Readable.fromWeb(blob.slice(start).stream() as unknown as WebReadableStream), tap, fs.createWriteStream(part, { flags: 'a' }));
    }
    const got = h.digest();
    const size = fs.statSync(part).size;
    if (size !== expected.size || !matches(got, expected)) {
      fs.rmSync(part, { force: true });
      throw new NxMlcError(
        `Downloaded ${rel} does not match the Hub's ${e.lfs ? `LFS sha256 ${expected.sha256}` : `git blob id ${expected.gitOid}`} (got ${size} bytes, sha256 ${got.sha256})`,
        { file: dest, field: rel, fix: 'Run acquire again: the partial file was deleted and the download will restart.' },
      );
    }
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.renameSync(part, dest);
    const st = fs.statSync(dest);
    memo.files[rel] = { size: st.size, mtimeMs: st.mtimeMs, sha256: got.sha256 };
    files.push({ path: rel, size: st.size, sha256: got.sha256, lfs: Boolean(e.lfs) });
  }).finally(() => writeFileAtomic(memoFile, JSON.stringify(memo)));

  const lock: AcquireLock = { kind: 'nx-mlc-acquire-lock', version: 1, repo: o.repo, revision: sha, files: files.sort((a, b) => (a.path < b.path ? -1 : 1)) };
  const lockFile = path.join(outDir, LOCK_FILE);
  writeAcquireLock(lockFile, lock);
  return { lock, lockFile, ...result };
}

interface Expected {
  size: number;
  sha256?: string;
  gitOid?: string;
}

interface Hashes {
  update(b: Buffer): void;
  digest(): { sha256: string; gitOid: string };
}

/** sha256 (what the lock records and LFS names) and git's blob sha1 (what the Hub names small files by), in one pass. */
function newHashes(size: number): Hashes {
  const s256 = crypto.createHash('sha256');
  const s1 = crypto.createHash('sha1').update(`blob ${size}\0`);
  return {
    update: (b) => {
      s256.update(b);
      s1.update(b);
    },
    digest: () => ({ sha256: s256.digest('hex'), gitOid: s1.digest('hex') }),
  };
}

async function hashFile(file: string, size: number): Promise<{ sha256: string; gitOid: string }> {
  const h = newHashes(size);
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
  return h.digest();
}

function matches(got: { sha256: string; gitOid: string }, e: Expected): boolean {
  return e.sha256 ? got.sha256 === e.sha256 : got.gitOid === e.gitOid;
}

function safeJoin(root: string, rel: string): string {
  const p = path.resolve(root, rel);
  if (!p.startsWith(root + path.sep)) throw new NxMlcError(`The Hub listed a file outside the repository: ${rel}`, { field: rel, fix: 'Report this repository; nothing was written.' });
  return p;
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Turn the Hub client's errors into ones that say what to do. */
async function hubCall<T>(fn: () => Promise<T>, repo: string, revision: string, hubUrl: string): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof NxMlcError) throw e;
    const status = (e as { statusCode?: number }).statusCode;
    if (status === 401 || status === 403) {
      throw new NxMlcError(`${hubUrl} refused access to ${repo} (HTTP ${status})`, { field: 'HF_TOKEN', fix: 'Set HF_TOKEN to a token that may read this repository (and accept its licence on the Hub if it is gated).' });
    }
    if (status === 404) {
      throw new NxMlcError(`${repo}@${revision} was not found on ${hubUrl}`, { field: 'repo', fix: 'Check the repository id and revision (and HF_TOKEN for private repositories).' });
    }
    if (e instanceof TypeError && /token must start with/.test(e.message)) {
      throw new NxMlcError('The Hugging Face token is malformed', { field: 'HF_TOKEN', fix: 'Hub tokens start with "hf_"; copy it again from your Hub settings.' });
    }
    throw e;
  }
}
