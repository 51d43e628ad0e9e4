import { Command } from 'commander';
import { chat } from '../../core/runtime/chat';
import { parseIntOption, runCommand } from '../output';

export function registerChat(program: Command): void {
  program
    .command('chat')
    .description('Chat with a compiled model in the terminal, streaming tokens (/reset, /stats, /exit)')
    .argument('<model>', 'directory with mlc-chat-config.json, tensor-cache.json and the shards')
    .requiredOption('--model-lib <lib>', 'compiled model library (.so)')
    .option('--threads <n>', 'CPU threads', parseIntOption('threads'))
    .option('--context-window-size <n>', 'context window at run time (at most the compiled one)', parseIntOption('context-window-size'))
    .option('--max-tokens <n>', 'limit per reply', parseIntOption('max-tokens'))
    .option('--temperature <t>', 'sampling temperature (0 = greedy); default from mlc-chat-config.json', (v: string) => Number(v))
    .option('--seed <n>', 'random seed for reproducible sampling', parseIntOption('seed'))
    .action((model: string, o) =>
      runCommand(() =>
        chat({
          modelDir: model,
          modelLib: o.modelLib,
          numThreads: o.threads,
          contextWindowSize: o.contextWindowSize,
          maxTokens: o.maxTokens,
          sampling: o.temperature === undefined ? undefined : { temperature: o.temperature },
          seed: o.seed,
        }),
      ),
    );
}
