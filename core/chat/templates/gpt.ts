// Source: mlc-llm python/mlc_llm/conversation_template/gpt.py
import type { ConversationSpec } from '../conversation';

export const GPT_TEMPLATES: ConversationSpec[] = [
  {
    name: 'gpt2',
    system_template: '{system_message}',
    system_message: '',
    roles: { user: '', assistant: '' },
    seps: [''],
    role_content_sep: '',
    role_empty_sep: '',
    stop_str: ['</s>'],
    stop_token_ids: [50256],
  },
  {
    name: 'gpt_bigcode',
    system_template: '{system_message}',
    system_message: '',
    roles: { user: '', assistant: '' },
    seps: [''],
    role_content_sep: '',
    role_empty_sep: '',
    stop_str: ['<|endoftext|>'],
    stop_token_ids: [0],
  },
];
