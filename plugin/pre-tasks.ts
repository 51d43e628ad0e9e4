/**
 * `nx run <model>:compile --target=metal`: Nx's `run` command takes `--target` for itself (the name of the
 * target to run), so the executor never sees it. Before tasks run, Nx hands plugins the command line; we
 * recover a plain `--target` value and pass it on in NXMLC_HW_TARGET. Only the uncached `compile`/`validate`
 * dispatch targets read it, so it never needs to be part of a hash.
 */
import { HW_TARGET_ENV } from '../schema/hardware-env';

export { HW_TARGET_ENV };

export function hardwareTargetFromArgv(argv: readonly string[]): string | undefined {
  const runAt = argv.indexOf('run');
  if (runAt < 0) return undefined;
  const args = argv.slice(runAt + 1);
  // the first positional must be project:target (the form where --target is free for us)
  const first = args.find((a) => !a.startsWith('-'));
  if (!first || !first.includes(':')) return undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') break;
    let v: string | undefined;
    if (a.startsWith('--target=')) v = a.slice('--target='.length);
    else if (a === '--target' || a === '-t') v = args[i + 1];
    // `--target=x:y` is Nx's own project:target syntax, not a hardware target
    if (v !== undefined && v !== '' && !v.includes(':') && !v.startsWith('-')) return v;
  }
  return undefined;
}

export function preTasksExecution(_options: unknown, context: { argv: string[] }): void {
  const hw = hardwareTargetFromArgv(context.argv ?? []);
  if (hw) process.env[HW_TARGET_ENV] = hw;
}
