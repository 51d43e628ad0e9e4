import { Command } from 'commander';
import { registerAcquire } from './acquire';
import { registerConvertWeight } from './convert-weight';
import { registerVerifyWeights } from './verify-weights';
import { registerCompile } from './compile';
import { registerValidate } from './validate';
import { registerChat } from './chat';
import { registerServeWeb } from './serve-web';
import { registerStore } from './store';
import { registerCacheServer } from './cache-server';

/** The stages around gen-config, in workflow order, then the artifact tools. */
export function registerLaterStages(program: Command): void {
  registerAcquire(program);
  registerConvertWeight(program);
  registerVerifyWeights(program);
  registerCompile(program);
  registerValidate(program);
  registerChat(program);
  registerServeWeb(program);
  registerStore(program);
  registerCacheServer(program);
}
