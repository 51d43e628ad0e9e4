import type { ConvTemplateJson } from './chat-config';

/**
 * MLC's prompt assembly (Conversation.as_prompt, spec mlc-format.md §3.1) for text-only conversations.
 * NOTE: core/chat is to provide `renderConversationPrompt`; once it exists this file should delegate to it
 * so there is one implementation.
 */

export type ChatMessage = [role: string, content: string | null];

const PLACEHOLDER: Record<string, string> = {
  user: '{user_message}',
  assistant: '{assistant_message}',
  tool: '{tool_message}',
};

export function renderPrompt(conv: ConvTemplateJson, messages: readonly ChatMessage[]): string {
  const system = conv.system_template.split('{system_message}').join(conv.system_message);
  const seps = conv.seps.length === 1 ? [conv.seps[0], conv.seps[0]] : conv.seps;
  const parts: string[] = system === '' ? [] : [system];
  messages.forEach(([role, content], i) => {
    if (!(role in conv.roles)) throw new Error(`Role ${role} is not supported by conversation template ${conv.name}`);
    const sep = seps[role === 'assistant' ? 1 : 0];
    if (content === null) {
      parts.push(conv.roles[role] + conv.role_empty_sep);
      return;
    }
    const prefix = !conv.add_role_after_system_message && system !== '' && i === 0 ? '' : conv.roles[role] + conv.role_content_sep;
    const template = conv.role_templates[role] ?? PLACEHOLDER[role] ?? '';
    parts.push(prefix + template.split(PLACEHOLDER[role] ?? '\u0000').join(content) + sep);
  });
  const prompt = parts.join('');
  // The last {function_string} gets the function string, earlier ones nothing.
  const at = prompt.lastIndexOf('{function_string}');
  if (at < 0) return prompt;
  const fn = typeof conv.function_string === 'string' ? conv.function_string : '';
  return (prompt.slice(0, at).split('{function_string}').join('') + fn + prompt.slice(at + '{function_string}'.length));
}
