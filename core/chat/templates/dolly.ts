// Source: mlc-llm python/mlc_llm/conversation_template/dolly.py
import type { ConversationSpec } from '../conversation';

export const DOLLY_TEMPLATES: ConversationSpec[] = [
  {
    name: 'dolly',
    system_template: '{system_message}',
    system_message:
      'Below is an instruction that describes a task. Write a response that appropriately completes the request.',
    roles: { user: '### Instruction', assistant: '### Response' },
    seps: ['\n\n', '### End\n'],
    role_content_sep: ':\n',
    role_empty_sep: ':\n',
    stop_str: ['### End'],
    stop_token_ids: [50256],
  },
];
