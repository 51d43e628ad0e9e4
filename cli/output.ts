import { NxMlcError } from '../core/support/errors';

/** Where CLI commands write: stdout for results, stderr for progress and diagnostics. */
export const out = (s: string): void => void process.stdout.write(s + '\n');
export const info = (s: string): void => void process.stderr.write(s + '\n');

/** Run a command body; print NxMlcErrors without a stack trace and exit 1 (stacks only with NXMLC_DEBUG=1). */
export async function runCommand(body: () => Promise<void> | void): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (e instanceof NxMlcError && !process.env.NXMLC_DEBUG) {
      info(`error: ${e.message}`);
    } else {
      info(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
    process.exitCode = 1;
  }
}

export function parseIntOption(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new NxMlcError(`--${name} expects an integer, got "${value}"`, { field: name });
    return n;
  };
}
