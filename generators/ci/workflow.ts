import { NxMlcError } from '../../core/support/errors';
import { KNOWN_TARGETS, RUNNERS } from './runners';

export interface WorkflowOptions {
  /** Hardware targets, one job each (names as in mlc-model.yaml's `targets`, e.g. cpu, cuda, metal). */
  targets: string[];
  /** Labels of the self-hosted GPU runner used for cuda. */
  gpuRunner?: string[];
  /** Branch whose pushes may write to the remote cache; other events only read. */
  mainBranch?: string;
  nodeVersion?: string;
  /** Wire Nx's self-hosted remote cache (nx-mlc cache-server) and the S3 weight store. */
  remoteCache?: boolean;
  /** Tasks in parallel per job. */
  parallel?: number;
}

type Step = Record<string, unknown>;

/**
 * The GitHub Actions workflow: one job per hardware target on a runner that can build (and where possible
 * run) it, each running only the affected compile/validate tasks for that target. With the remote cache,
 * every job starts from what any earlier job or developer already built, and weights come from the store.
 */
export function buildWorkflow(o: WorkflowOptions): Record<string, unknown> {
  const targets = [...new Set(o.targets)];
  if (targets.length === 0) {
    throw new NxMlcError('The ci generator needs at least one hardware target', { field: 'targets', fix: `Pass --targets (e.g. cpu,cuda,metal) or declare targets in an mlc-model.yaml. Known: ${KNOWN_TARGETS.join(', ')}.` });
  }
  for (const t of targets) {
    if (!RUNNERS[t]) throw new NxMlcError(`No CI runner is known for hardware target "${t}"`, { field: 'targets', fix: `Use one of ${KNOWN_TARGETS.join(', ')} (custom targets run in the job of their device).` });
  }
  const main = o.mainBranch ?? 'main';
  const gpu = o.gpuRunner ?? ['self-hosted', 'linux', 'x64', 'gpu'];
  const remote = o.remoteCache ?? true;

  const env: Record<string, string> = {
    NX_NO_CLOUD: 'true',
    HF_TOKEN: '${{ secrets.HF_TOKEN }}',
  };
  if (remote) {
    Object.assign(env, {
      NX_SELF_HOSTED_REMOTE_CACHE_SERVER: '${{ vars.NX_MLC_CACHE_SERVER }}',
      // Writes only from pushes to the main branch; pull requests get a read-only token, so a PR can never
      // plant an artifact under a hash that main will compute (CVE-2025-36852, "CREEP").
      NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN: `\${{ github.event_name == 'push' && github.ref == 'refs/heads/${main}' && secrets.NX_MLC_CACHE_WRITE_TOKEN || secrets.NX_MLC_CACHE_READ_TOKEN }}`,
      NXMLC_S3_BUCKET: '${{ vars.NXMLC_S3_BUCKET }}',
      NXMLC_S3_ENDPOINT: '${{ vars.NXMLC_S3_ENDPOINT }}',
      NXMLC_S3_PREFIX: '${{ vars.NXMLC_S3_PREFIX }}',
      AWS_ACCESS_KEY_ID: '${{ secrets.NXMLC_S3_ACCESS_KEY_ID }}',
      AWS_SECRET_ACCESS_KEY: '${{ secrets.NXMLC_S3_SECRET_ACCESS_KEY }}',
    });
  }

  const jobs: Record<string, unknown> = {};
  for (const t of targets) {
    const r = RUNNERS[t];
    const steps: Step[] = [
      { uses: 'actions/checkout@v4', with: { 'fetch-depth': 0 } },
      { uses: 'actions/setup-node@v4', with: { 'node-version': o.nodeVersion ?? '20', cache: 'npm' } },
      { run: 'npm ci' },
      // Sets NX_BASE/NX_HEAD to the last successful main commit, so `affected` compares against it.
      { uses: 'nrwl/nx-set-shas@v4' },
    ];
    if (r.setup) steps.push({ name: `Toolchain for ${t}`, run: r.setup });
    steps.push({
      name: `Affected compile + validate for ${t}`,
      run: `npx nx affected -t compile validate -c ${t} --parallel=${o.parallel ?? 2} --outputStyle=static`,
    });
    jobs[jobId(t)] = {
      name: `${t} (${r.note})`,
      'runs-on': r.runsOn === 'gpu' ? gpu : r.runsOn,
      'timeout-minutes': 120,
      steps,
    };
  }

  return {
    name: 'nx-mlc',
    on: { push: { branches: [main] }, pull_request: null, workflow_dispatch: null },
    permissions: { contents: 'read' },
    concurrency: { group: 'nx-mlc-${{ github.ref }}', 'cancel-in-progress': true },
    env,
    jobs,
  };
}

/** Job ids must start with a letter or "_" and hold only letters, digits, "-" and "_". */
function jobId(target: string): string {
  return `compile-${target.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}
