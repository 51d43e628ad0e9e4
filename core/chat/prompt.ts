/**
 * Prompt assembly exactly as MLC-LLM's `Conversation.as_prompt` does it for text messages
 * (python/mlc_llm/protocol/conversation_protocol.py). Used to compare a template with a checkpoint's
 * own Jinja chat template; the runtime tokenizes this string after `system_prefix_token_ids`.
 */
import { NxMlcError } from '../support/errors';
import { type Conversation, PLACEHOLDERS } from './conversation';

export interface PromptMessage {
  role: string;
  /** `null` leaves the turn open for the model (the generation prompt). */
  content: string | null;
}

const ROLE_PLACEHOLDER: Record<string, string> = {
  user: PLACEHOLDERS.user,
  assistant: PLACEHOLDERS.assistant,
  tool: PLACEHOLDERS.tool,
};

export function renderConversationPrompt(
  conv: Conversation,
  messages: readonly PromptMessage[],
  functionString: string = conv.function_string,
): string {
  const systemMsg = conv.system_template.split(PLACEHOLDERS.system).join(conv.system_message);
  const [userSep, assistantSep] = conv.seps.length === 1 ? [conv.seps[0], conv.seps[0]] : conv.seps;
  let prompt = systemMsg;
  messages.forEach(({ role, content }, i) => {
    if (!Object.prototype.hasOwnProperty.call(conv.roles, role)) {
      throw new NxMlcError(`role "${role}" is not supported by conversation template ${conv.name}`, {
        field: 'messages',
        fix: `use one of the template's roles: ${Object.keys(conv.roles).join(', ')}`,
      });
    }
    const separator = role === 'assistant' ? assistantSep : userSep;
    if (content === null) {
      prompt += conv.roles[role] + conv.role_empty_sep;
      return;
    }
    // [INST]-style formats put the first user message right after the system text, without a role.
    const rolePrefix =
      !conv.add_role_after_system_message && systemMsg !== '' && i === 0 ? '' : conv.roles[role] + conv.role_content_sep;
    const template = conv.role_templates[role] ?? '';
    const placeholder = ROLE_PLACEHOLDER[role];
    // Python's str.replace with a role MLC has no placeholder for would raise; roles are user/assistant/tool.
    const body = placeholder === undefined ? content : template.split(placeholder).join(content);
    prompt += rolePrefix + body + separator;
  });
  // Only the last {function_string} receives the function string; the others are removed.
  const last = prompt.lastIndexOf(PLACEHOLDERS.function);
  if (last >= 0) {
    prompt = prompt.slice(0, last) + functionString + prompt.slice(last + PLACEHOLDERS.function.length);
  }
  return prompt.split(PLACEHOLDERS.function).join('');
}
