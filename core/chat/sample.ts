/**
 * The fixed sample conversation used to compare templates: system + user + assistant + user, then the
 * generation prompt. Contents are plain prose without leading/trailing spaces, because many chat
 * templates `trim` message contents and MLC never does.
 */
import type { Conversation } from './conversation';
import { renderConversationPrompt } from './prompt';
import type { ChatMessage } from './hf-chat-template';

export const SAMPLE_SYSTEM = 'You are a concise assistant.';

export const SAMPLE_TURNS: readonly ChatMessage[] = [
  { role: 'user', content: 'What is the capital of France?' },
  { role: 'assistant', content: 'The capital of France is Paris.' },
  { role: 'user', content: 'And of Italy?' },
];

export function sampleMessages(withSystem: boolean): ChatMessage[] {
  return [...(withSystem ? [{ role: 'system', content: SAMPLE_SYSTEM }] : []), ...SAMPLE_TURNS];
}

/**
 * The MLC prompt for the sample. With a system message MLC replaces the template's default one
 * (as its server does for a request that carries a system message); without, the default stays.
 */
export function renderSampleWithMlc(conv: Conversation, withSystem: boolean): string {
  const c: Conversation = { ...conv };
  if (withSystem) c.system_message = SAMPLE_SYSTEM;
  return renderConversationPrompt(c, [...SAMPLE_TURNS, { role: 'assistant', content: null }]);
}
