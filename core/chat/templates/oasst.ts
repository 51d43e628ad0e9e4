// Source: mlc-llm python/mlc_llm/conversation_template/oasst.py
import type { ConversationSpec } from '../conversation';

export const OASST_TEMPLATES: ConversationSpec[] = [
  {
    name: 'oasst',
    system_template: '{system_message}',
    system_message: '',
    roles: { user: '<|prompter|>', assistant: '<|assistant|>' },
    seps: ['<|endoftext|>'],
    role_content_sep: ': ',
    role_empty_sep: ': ',
    stop_str: ['<|endoftext|>'],
    stop_token_ids: [2],
  },
];
