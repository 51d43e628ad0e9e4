import { Command } from 'commander';
import { formatVerifyReport, verifyWeights } from '../../core/weights/verify';
import { out, runCommand } from '../output';

export function registerVerifyWeights(program: Command): void {
  program
    .command('verify-weights')
    .description('Re-read converted weights and check records, sizes, offsets and md5 sums against tensor-cache.json')
    .argument('<dir>', 'directory with tensor-cache.json and params_shard_*.bin')
    .action((dir: string) =>
      runCommand(() => {
        const report = verifyWeights(dir);
        out(formatVerifyReport(report));
        if (!report.ok) process.exitCode = 1;
      }),
    );
}
