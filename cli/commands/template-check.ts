import { Command } from 'commander';
import { formatTemplateCheck, templateCheck } from '../../core/chat/template-check';
import { out, runCommand } from '../output';

export function registerTemplateCheck(program: Command): void {
  program
    .command('template-check')
    .description("Render one sample conversation with the checkpoint's Jinja chat_template and with an MLC template, and show the first difference")
    .argument('<dir>', 'Hugging Face checkpoint directory (tokenizer_config.json / chat_template.jinja)')
    .requiredOption('--conv-template <name>', 'MLC conversation template to compare')
    .action((dir: string, o) =>
      runCommand(() => {
        const result = templateCheck(dir, o.convTemplate);
        out(formatTemplateCheck(result));
        if (result.firstDifference) process.exitCode = 2;
      }),
    );
}
