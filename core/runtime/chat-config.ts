import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Conversation } from '../chat/conversation';
import { NxMlcError } from '../support/errors';

/**
 * The parts of `mlc-chat-config.json` (spec mlc-format.md §2) the runtime reads. Only what running a
 * model needs is checked here; gen-config owns the full schema.
 */

export interface TokenizerInfo {
  token_postproc_method: 'byte_level' | 'byte_fallback';
  prepend_space_in_encode: boolean;
  strip_space_in_decode: boolean;
}

/** conv_template as gen-config writes it: MLC's full Conversation dump (16 keys). */
export type ConvTemplateJson = Conversation;

export interface RuntimeChatConfig {
  file: string;
  model_type: string;
  quantization: string;
  model_config: Record<string, unknown>;
  vocab_size: number;
  active_vocab_size: number;
  context_window_size: number;
  prefill_chunk_size: number;
  sliding_window_size: number;
  temperature: number;
  top_p: number;
  repetition_penalty: number;
  presence_penalty: number;
  frequency_penalty: number;
  tokenizer_files: string[];
  tokenizer_info: TokenizerInfo;
  conv_template: ConvTemplateJson | null;
  bos_token_id: number | null;
  eos_token_id: number[];
}

export const CHAT_CONFIG_NAME = 'mlc-chat-config.json';

export function readChatConfig(modelDir: string): RuntimeChatConfig {
  const file = path.join(modelDir, CHAT_CONFIG_NAME);
  if (!fs.existsSync(file)) {
    throw new NxMlcError('The model directory has no mlc-chat-config.json', {
      file,
      fix: 'Run `nx-mlc gen-config <hf-dir> --quantization <q> --conv-template <t> -o <dir>` into this directory first.',
    });
  }
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new NxMlcError('mlc-chat-config.json is not valid JSON', { file, fix: 'Re-run `nx-mlc gen-config`.' });
  }
  const need = (field: string, type: 'string' | 'number' | 'object'): void => {
    if (typeof j[field] !== type || j[field] === null) {
      throw new NxMlcError(`mlc-chat-config.json: ${field} is missing or not a ${type}`, { file, field, fix: 'Re-run `nx-mlc gen-config`.' });
    }
  };
  need('model_type', 'string');
  need('quantization', 'string');
  need('model_config', 'object');
  need('vocab_size', 'number');
  const num = (field: string, dflt: number): number => (typeof j[field] === 'number' ? (j[field] as number) : dflt);
  const eos = j.eos_token_id;
  const info = (j.tokenizer_info ?? {}) as Partial<TokenizerInfo>;
  return {
    file,
    model_type: j.model_type as string,
    quantization: j.quantization as string,
    model_config: j.model_config as Record<string, unknown>,
    vocab_size: j.vocab_size as number,
    active_vocab_size: num('active_vocab_size', j.vocab_size as number),
    context_window_size: num('context_window_size', -1),
    prefill_chunk_size: num('prefill_chunk_size', -1),
    sliding_window_size: num('sliding_window_size', -1),
    // MLC's system defaults (spec §2.2 step 5) for absent sampling fields.
    temperature: num('temperature', 1.0),
    top_p: num('top_p', 1.0),
    repetition_penalty: num('repetition_penalty', 1.0),
    presence_penalty: num('presence_penalty', 0.0),
    frequency_penalty: num('frequency_penalty', 0.0),
    tokenizer_files: Array.isArray(j.tokenizer_files) ? (j.tokenizer_files as string[]) : [],
    tokenizer_info: {
      token_postproc_method: info.token_postproc_method === 'byte_level' ? 'byte_level' : 'byte_fallback',
      prepend_space_in_encode: info.prepend_space_in_encode === true,
      strip_space_in_decode: info.strip_space_in_decode === true,
    },
    conv_template: (j.conv_template as ConvTemplateJson | null) ?? null,
    bos_token_id: typeof j.bos_token_id === 'number' ? j.bos_token_id : null,
    eos_token_id: Array.isArray(eos) ? (eos as number[]) : typeof eos === 'number' ? [eos] : [],
  };
}
