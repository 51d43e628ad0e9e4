import { Command } from 'commander';
import { inspectCheckpoint } from '../../core/inspect/inspect';
import { formatInspect } from '../../core/inspect/format';
import { out, parseIntOption, runCommand } from '../output';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('Describe a checkpoint: architecture, parameters, dtypes, files, memory needed per quantization')
    .argument('<dir>', 'Hugging Face checkpoint directory')
    .option('--context-window-size <n>', 'context window for the KV-cache estimate (default: the model\'s)', parseIntOption('context-window-size'))
    .option('--json', 'print the report as JSON')
    .action((dir: string, o) =>
      runCommand(() => {
        const report = inspectCheckpoint(dir, { contextWindow: o.contextWindowSize });
        out(o.json ? JSON.stringify(report, null, 2) : formatInspect(report));
      }),
    );
}
