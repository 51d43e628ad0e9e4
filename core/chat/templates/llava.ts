// Source: mlc-llm python/mlc_llm/conversation_template/llava.py
import type { ConversationSpec } from '../conversation';

export const LLAVA_TEMPLATES: ConversationSpec[] = [
  {
    name: 'llava',
    system_template: '{system_message}',
    system_message: '\n',
    roles: { user: 'USER', assistant: 'ASSISTANT' },
    seps: [' '],
    role_content_sep: ': ',
    role_empty_sep: ':',
    stop_str: ['</s>'],
    stop_token_ids: [2],
    system_prefix_token_ids: [1],
    add_role_after_system_message: false,
  },
];
