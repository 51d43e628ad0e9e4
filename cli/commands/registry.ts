import { Command } from 'commander';
import { registerConvertWeight } from './convert-weight';
import { registerCompile } from './compile';
import { registerValidate } from './validate';
import { registerChat } from './chat';

/** The stages after gen-config, in workflow order. */
export function registerLaterStages(program: Command): void {
  registerConvertWeight(program);
  registerCompile(program);
  registerValidate(program);
  registerChat(program);
}
