/**
 * The registry of MLC-LLM's conversation templates, as data (one file per MLC source file under
 * templates/). Registration order follows MLC's import order (registry.py's own templates first, then
 * the modules alphabetically); `chooseConvTemplate` uses it to break ties.
 */
import { NxMlcError } from '../support/errors';
import { type Conversation, type ConversationSpec, conversationFromSpec } from './conversation';
import { BASE_TEMPLATES } from './templates/base';
import { COHERE_TEMPLATES } from './templates/cohere';
import { DEEPSEEK_TEMPLATES } from './templates/deepseek';
import { DOLLY_TEMPLATES } from './templates/dolly';
import { GEMMA_TEMPLATES } from './templates/gemma';
import { GLM_TEMPLATES } from './templates/glm';
import { GORILLA_TEMPLATES } from './templates/gorilla';
import { GPT_TEMPLATES } from './templates/gpt';
import { HERMES_TEMPLATES } from './templates/hermes';
import { LLAMA_TEMPLATES } from './templates/llama';
import { LLAVA_TEMPLATES } from './templates/llava';
import { LLM_JP_TEMPLATES } from './templates/llm-jp';
import { MINISTRAL3_TEMPLATES } from './templates/ministral3';
import { MISTRAL_TEMPLATES } from './templates/mistral';
import { NEMOTRON_TEMPLATES } from './templates/nemotron';
import { OASST_TEMPLATES } from './templates/oasst';
import { OLMO_TEMPLATES } from './templates/olmo';
import { ORION_TEMPLATES } from './templates/orion';
import { PHI_TEMPLATES } from './templates/phi';
import { QWEN_TEMPLATES } from './templates/qwen';
import { REDPAJAMA_TEMPLATES } from './templates/redpajama';
import { RWKV_TEMPLATES } from './templates/rwkv';
import { STABLELM_TEMPLATES } from './templates/stablelm';
import { TINYLLAMA_TEMPLATES } from './templates/tinyllama';
import { WIZARDLM_TEMPLATES } from './templates/wizardlm';

const SPECS: readonly ConversationSpec[] = [
  ...BASE_TEMPLATES,
  ...COHERE_TEMPLATES,
  ...DEEPSEEK_TEMPLATES,
  ...DOLLY_TEMPLATES,
  ...GEMMA_TEMPLATES,
  ...GLM_TEMPLATES,
  ...GORILLA_TEMPLATES,
  ...GPT_TEMPLATES,
  ...HERMES_TEMPLATES,
  ...LLAMA_TEMPLATES,
  ...LLAVA_TEMPLATES,
  ...LLM_JP_TEMPLATES,
  ...MINISTRAL3_TEMPLATES,
  ...MISTRAL_TEMPLATES,
  ...NEMOTRON_TEMPLATES,
  ...OASST_TEMPLATES,
  ...OLMO_TEMPLATES,
  ...ORION_TEMPLATES,
  ...PHI_TEMPLATES,
  ...QWEN_TEMPLATES,
  ...REDPAJAMA_TEMPLATES,
  ...RWKV_TEMPLATES,
  ...STABLELM_TEMPLATES,
  ...TINYLLAMA_TEMPLATES,
  ...WIZARDLM_TEMPLATES,
];

const BY_NAME = new Map<string, ConversationSpec>();
for (const spec of SPECS) {
  if (BY_NAME.has(spec.name)) throw new Error(`conversation template ${spec.name} is registered twice`);
  BY_NAME.set(spec.name, spec);
}

/** Registered names in registration order (MLC's import order). */
export const CONV_TEMPLATE_NAMES_IN_ORDER: readonly string[] = SPECS.map((s) => s.name);

/** Registered names, sorted as the CLI lists them. */
export const CONV_TEMPLATE_NAMES: readonly string[] = [...CONV_TEMPLATE_NAMES_IN_ORDER].sort();

/**
 * MLC's CLI offers `llama_default` but never registers it: MLC then fails with a pydantic error.
 * We fail early with a clear message instead.
 */
const UNREGISTERED_CLI_CHOICES: Record<string, string> = {
  llama_default: 'use llama-2 (the Llama-2 chat format) or llama-3 / llama-3_1',
};

export function isConvTemplateName(name: string): boolean {
  return BY_NAME.has(name);
}

/** A fresh, fully populated copy of a registered template (all 16 keys, MLC dump order). */
export function getConvTemplate(name: string): Conversation {
  const spec = BY_NAME.get(name);
  if (!spec) {
    const hint = UNREGISTERED_CLI_CHOICES[name];
    throw new NxMlcError(
      hint
        ? `conversation template "${name}" is listed by mlc_llm's CLI but never registered, so MLC-LLM cannot use it either`
        : `unknown conversation template "${name}"`,
      {
        field: 'conv_template',
        fix: `${hint ? `${hint}; ` : ''}pick one of: ${CONV_TEMPLATE_NAMES.join(', ')} (or "auto" to match the checkpoint's chat_template)`,
      },
    );
  }
  return conversationFromSpec(spec);
}
