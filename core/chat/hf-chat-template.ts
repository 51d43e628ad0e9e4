/**
 * A checkpoint's own (Hugging Face) chat template: where it lives and how it renders.
 *
 * transformers looks, in order, at `chat_template.jinja` (current save format), the `chat_template`
 * field of tokenizer_config.json (a string, or a list of named templates of which "default" is used),
 * and `chat_template.json` (processors of multimodal models). We follow the same order.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Template } from '@huggingface/jinja';
import { NxMlcError } from '../support/errors';

/** tokenizer_config.json, only the fields we read. Special tokens may be strings or AddedToken objects. */
export interface TokenizerConfig {
  chat_template?: unknown;
  bos_token?: unknown;
  eos_token?: unknown;
  added_tokens_decoder?: Record<string, { content?: unknown }>;
  [key: string]: unknown;
}

export interface ChatTemplateSource {
  text: string;
  /** Where it came from, for messages: a file path, or `tokenizer_config.json#chat_template`. */
  origin: string;
}

export interface ChatMessage {
  role: string;
  content: string;
}

/** The text of a special token: `"<s>"` or `{"__type": "AddedToken", "content": "<s>", ...}`. */
export function specialTokenText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return null;
}

/** Token id → text for the tokenizer's added (special) tokens. */
export function addedTokenTexts(config: TokenizerConfig): Map<number, string> {
  const out = new Map<number, string>();
  for (const [id, token] of Object.entries(config.added_tokens_decoder ?? {})) {
    const text = specialTokenText(token);
    if (text !== null && /^\d+$/.test(id)) out.set(Number(id), text);
  }
  return out;
}

/** The chat template inside a tokenizer_config object, or null for a base model. */
export function chatTemplateFromConfig(config: TokenizerConfig, origin = 'tokenizer_config.json'): ChatTemplateSource | null {
  const value = config.chat_template;
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return { text: value, origin: `${origin}#chat_template` };
  if (Array.isArray(value)) {
    // A list of {name, template}: transformers uses the one named "default".
    const named = value.filter(
      (t): t is { name: string; template: string } =>
        !!t && typeof t === 'object' && typeof t.name === 'string' && typeof t.template === 'string',
    );
    const chosen = named.find((t) => t.name === 'default');
    if (chosen) return { text: chosen.template, origin: `${origin}#chat_template[name=default]` };
    throw new NxMlcError('chat_template is a list of named templates but none is named "default"', {
      file: origin,
      field: 'chat_template',
      fix: `name one template "default" (found: ${named.map((t) => t.name).join(', ') || 'none'}), or pass --conv-template explicitly`,
    });
  }
  throw new NxMlcError('chat_template must be a string or a list of {name, template}', {
    file: origin,
    field: 'chat_template',
    fix: 'fix tokenizer_config.json, or pass --conv-template explicitly',
  });
}

export function readTokenizerConfig(dir: string): TokenizerConfig | null {
  const file = path.join(dir, 'tokenizer_config.json');
  if (!fs.existsSync(file)) return null;
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as TokenizerConfig;
  } catch (e) {
    throw new NxMlcError(`cannot read tokenizer_config.json: ${(e as Error).message}`, {
      file,
      fix: 'restore the file from the model repository',
    });
  }
}

/** The checkpoint's chat template, looked up like transformers does; null when it has none. */
export function readChatTemplate(dir: string, config: TokenizerConfig | null = readTokenizerConfig(dir)): ChatTemplateSource | null {
  const jinjaFile = path.join(dir, 'chat_template.jinja');
  if (fs.existsSync(jinjaFile)) return { text: fs.readFileSync(jinjaFile, 'utf8'), origin: jinjaFile };
  if (config) {
    const fromConfig = chatTemplateFromConfig(config, path.join(dir, 'tokenizer_config.json'));
    if (fromConfig) return fromConfig;
  }
  const jsonFile = path.join(dir, 'chat_template.json');
  if (fs.existsSync(jsonFile)) {
    const parsed = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as TokenizerConfig;
    return chatTemplateFromConfig(parsed, jsonFile);
  }
  return null;
}

/**
 * Renders the template the way `apply_chat_template(messages, add_generation_prompt=True, tokenize=False)`
 * does. Throws the template's own error (e.g. Gemma's "System role not supported").
 */
export function renderHfChatTemplate(
  template: string,
  messages: readonly ChatMessage[],
  tokens: { bos_token?: string | null; eos_token?: string | null },
): string {
  return new Template(template).render({
    messages: messages.map((m) => ({ ...m })),
    bos_token: tokens.bos_token ?? '',
    eos_token: tokens.eos_token ?? '',
    add_generation_prompt: true,
  });
}
