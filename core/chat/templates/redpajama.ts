// Source: mlc-llm python/mlc_llm/conversation_template/redpajama.py
import type { ConversationSpec } from '../conversation';

export const REDPAJAMA_TEMPLATES: ConversationSpec[] = [
  {
    name: 'redpajama_chat',
    system_template: '{system_message}',
    system_message: '',
    roles: { user: '<human>', assistant: '<bot>' },
    seps: ['\n'],
    role_content_sep: ': ',
    role_empty_sep: ':',
    stop_str: ['<human>'],
    stop_token_ids: [0],
  },
];
