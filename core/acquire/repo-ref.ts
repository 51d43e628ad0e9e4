import { NxMlcError } from '../support/errors';

export interface RepoRef {
  /** "org/name" */
  repo: string;
  /** Branch, tag or commit; undefined means the default branch ("main"). */
  revision?: string;
}

const REPO_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Parse `org/name[@revision]` as typed on the command line. */
export function parseRepoRef(s: string, field = 'repo'): RepoRef {
  const at = s.lastIndexOf('@');
  const repo = at > 0 ? s.slice(0, at) : s;
  const revision = at > 0 ? s.slice(at + 1) : undefined;
  if (!REPO_RE.test(repo) || revision === '') {
    throw new NxMlcError(`"${s}" is not a Hugging Face model id`, {
      field,
      fix: 'Write it as org/name or org/name@revision (a branch, tag or 40-hex commit), e.g. meta-llama/Llama-3.2-1B@main.',
    });
  }
  return { repo, revision };
}

export const isCommitSha = (s: string): boolean => /^[0-9a-f]{40}$/.test(s);
