// Source: mlc-llm python/mlc_llm/conversation_template/orion.py
import type { ConversationSpec } from '../conversation';

export const ORION_TEMPLATES: ConversationSpec[] = [
  {
    name: 'orion',
    system_template: '{system_message}',
    system_message: '',
    roles: { user: 'Human: ', assistant: 'Assistant: ' },
    seps: ['\n\n', '</s>'],
    role_content_sep: '',
    role_empty_sep: '</s>',
    stop_str: ['</s>'],
    stop_token_ids: [2],
    system_prefix_token_ids: [1],
  },
];
