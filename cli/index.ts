import { Command } from 'commander';
import { registerGenConfig } from './commands/gen-config';
import { registerInspect } from './commands/inspect';
import { registerTemplateCheck } from './commands/template-check';
import { registerDemo } from './commands/demo';
import { registerLaterStages } from './commands/registry';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('nx-mlc')
    .description('Compile Hugging Face LLM checkpoints into MLC-compatible artifacts: the MLC-LLM workflow without Python, as plain commands or cached Nx targets.')
    .version(version)
    .showHelpAfterError('(run with --help for usage)');
  registerDemo(program);
  registerInspect(program);
  registerGenConfig(program);
  registerLaterStages(program);
  registerTemplateCheck(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
