// Source: mlc-llm python/mlc_llm/conversation_template/gemma.py
import type { ConversationSpec } from '../conversation';

const GEMMA_TURNS: Omit<ConversationSpec, 'name' | 'stop_token_ids'> = {
  system_template: '{system_message}',
  system_message: '',
  roles: { user: '<start_of_turn>user', assistant: '<start_of_turn>model' },
  seps: ['<end_of_turn>\n'],
  role_content_sep: '\n',
  role_empty_sep: '\n',
  stop_str: ['<end_of_turn>'],
  system_prefix_token_ids: [2],
};

export const GEMMA_TEMPLATES: ConversationSpec[] = [
  { name: 'gemma_instruction', ...GEMMA_TURNS, stop_token_ids: [1, 107] },
  // Gemma 3: same turns, <end_of_turn> has id 106 there.
  { name: 'gemma3_instruction', ...GEMMA_TURNS, stop_token_ids: [1, 106] },
];
