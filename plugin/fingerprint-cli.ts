#!/usr/bin/env node
/**
 * `node fingerprint-cli.js <stage> <mlc-model.yaml> [hardware-target]`, run by Nx as a `runtime` input from the workspace root.
 * Prints what the stage reads (see stage-fingerprint.ts). Nx ignores a runtime command's exit code and hashes
 * its output, so a failure prints a distinctive, stable message (and changes the hash) instead of crashing.
 */
import { defaultMemoFile, DigestMemo } from './file-digest';
import { Stage, stageFingerprint, STAGES } from './stage-fingerprint';

function main(argv: string[]): number {
  const [stage, modelFile, hardware] = argv;
  if (!STAGES.includes(stage as Stage) || !modelFile || (stage === 'compile') !== Boolean(hardware)) {
    process.stdout.write(`nx-mlc fingerprint: usage: <${STAGES.join('|')}> <mlc-model.yaml> [hardware target, compile only]\n`);
    return 2;
  }
  const root = process.cwd();
  const memo = new DigestMemo(defaultMemoFile(root));
  try {
    process.stdout.write(stageFingerprint(root, stage as Stage, modelFile, memo, hardware));
    return 0;
  } catch (e) {
    process.stdout.write(`nx-mlc fingerprint error: ${(e as Error).message}\n`);
    return 1;
  } finally {
    memo.save();
  }
}

process.exitCode = main(process.argv.slice(2));
