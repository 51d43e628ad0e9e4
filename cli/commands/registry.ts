import { Command } from 'commander';

/**
 * Commands whose engines live in other modules register here, each in its own file, so index.ts stays a list.
 * Kept separate because these modules pull in heavier code (quantizer, compiler, runtime) that `inspect` and
 * `gen-config` never need.
 */
export function registerLaterStages(program: Command): void {
  void program;
}
