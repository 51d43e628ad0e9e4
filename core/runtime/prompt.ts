import type { Conversation } from '../chat/conversation';
import { renderConversationPrompt } from '../chat/prompt';

/** A chat turn as the runtime keeps it: `content: null` leaves the turn open for the model. */
export type ChatMessage = [role: string, content: string | null];

/** MLC's prompt assembly (core/chat's implementation) over the runtime's message tuples. */
export function renderPrompt(conv: Conversation, messages: readonly ChatMessage[]): string {
  return renderConversationPrompt(conv, messages.map(([role, content]) => ({ role, content })));
}

/**
 * The token ids a conversation starts the model with: `system_prefix_token_ids` (BOS, as MLC adds it)
 * followed by the encoded prompt.
 */
export function promptTokens(conv: Conversation, messages: readonly ChatMessage[], encode: (text: string) => number[]): number[] {
  return [...(conv.system_prefix_token_ids ?? []), ...encode(renderPrompt(conv, messages))];
}
