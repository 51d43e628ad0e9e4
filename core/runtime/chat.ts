import * as readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { NxMlcError } from '../support/errors';
import { GenerateResult, Session } from './generate';
import { openModel } from './open-model';
import { ChatMessage, promptTokens } from './prompt';
import type { SamplingParams } from './sampler';

/**
 * `nx-mlc chat`: an interactive terminal chat over the conversation template of mlc-chat-config.json,
 * streaming tokens as they come. Commands: /reset (forget the conversation), /stats (speed of the last
 * reply), /exit. Input and output streams are injectable so the loop is testable without a terminal.
 */

export interface ChatOptions {
  modelDir: string;
  modelLib: string;
  input?: Readable;
  output?: Writable;
  numThreads?: number;
  contextWindowSize?: number;
  /** Per-reply limit; default: whatever room the context window has left. */
  maxTokens?: number;
  /** Overrides of the config's sampling parameters (temperature, top_p, penalties). */
  sampling?: Partial<SamplingParams>;
  seed?: number;
}

export const CHAT_HELP = 'Commands: /reset forgets the conversation, /stats shows the speed of the last reply, /exit quits.';

export async function chat(opts: ChatOptions): Promise<void> {
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stdout;
  const model = openModel({ modelDir: opts.modelDir, modelLib: opts.modelLib, numThreads: opts.numThreads, contextWindowSize: opts.contextWindowSize });
  const conv = model.config.conv_template;
  if (!conv) {
    model.close();
    throw new NxMlcError('mlc-chat-config.json has no conv_template', {
      file: model.config.file,
      field: 'conv_template',
      fix: 'Re-run `nx-mlc gen-config` with --conv-template.',
    });
  }
  const tok = model.tokenizer!;
  const cfg = model.config;
  const sampling: SamplingParams = {
    temperature: cfg.temperature,
    top_p: cfg.top_p,
    repetition_penalty: cfg.repetition_penalty,
    presence_penalty: cfg.presence_penalty,
    frequency_penalty: cfg.frequency_penalty,
    ...opts.sampling,
  };
  const stopTokenIds = [...conv.stop_token_ids, ...cfg.eos_token_id];
  const session = new Session(model);
  let history: ChatMessage[] = [];
  let last: GenerateResult | null = null;
  let seed = opts.seed ?? Date.now() >>> 0;
  const write = (s: string): void => void output.write(s);

  write(`nx-mlc chat: ${cfg.model_type} ${cfg.quantization}, template ${conv.name}, context ${model.contextWindowSize}. ${CHAT_HELP}\n`);
  const rl = readline.createInterface({ input, terminal: false });
  try {
    write('>>> ');
    for await (const raw of rl) {
      const line = raw.trim();
      if (line === '/exit' || line === '/quit') break;
      if (line === '/reset') {
        history = [];
        session.reset();
        write('(conversation reset)\n');
      } else if (line === '/stats') {
        write(last ? formatStats(last) : '(no reply yet)\n');
      } else if (line === '/help') {
        write(`${CHAT_HELP}\n`);
      } else if (line.startsWith('/')) {
        write(`Unknown command ${line}. ${CHAT_HELP}\n`);
      } else if (line) {
        const messages: ChatMessage[] = [...history, ['user', raw]];
        const tokens = promptTokens(conv, [...messages, ['assistant', null]], (t) => tok.encode(t));
        const room = model.contextWindowSize > 0 ? model.contextWindowSize - tokens.length : Infinity;
        if (room < 1) {
          write(`(the conversation needs ${tokens.length} tokens but the context window holds ${model.contextWindowSize}; use /reset)\n`);
        } else {
          last = await session.generate({
            promptTokens: tokens,
            maxTokens: Math.min(opts.maxTokens ?? Infinity, room),
            sampling,
            seed: seed++,
            stopTokenIds,
            stopStrings: conv.stop_str,
            onText: write,
          });
          history = [...messages, ['assistant', last.text]];
          write(last.finishReason === 'context' ? '\n(context window full; use /reset)\n' : '\n');
        }
      }
      write('>>> ');
    }
  } finally {
    rl.close();
    model.close();
  }
}

export function formatStats(r: GenerateResult): string {
  return `prefill: ${r.prefillTokens} tok, ${r.prefillTokS.toFixed(1)} tok/s; decode: ${r.decodeTokens} tok, ${r.decodeTokS.toFixed(1)} tok/s\n`;
}
