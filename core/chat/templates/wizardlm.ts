// Source: mlc-llm python/mlc_llm/conversation_template/wizardlm.py
import type { ConversationSpec } from '../conversation';

export const WIZARDLM_TEMPLATES: ConversationSpec[] = [
  {
    name: 'wizardlm_7b',
    system_template: '{system_message}',
    system_message: '',
    roles: { user: 'User', assistant: 'Response' },
    seps: ['###'],
    role_content_sep: ': ',
    role_empty_sep: ':',
    stop_str: ['###'],
    stop_token_ids: [2],
    system_prefix_token_ids: [1],
  },
  {
    name: 'wizard_coder_or_math',
    system_template: '{system_message}',
    system_message:
      'Below is an instruction that describes a task. Write a response that appropriately completes the request.',
    roles: { user: 'Instruction', assistant: 'Response' },
    seps: ['\n\n### ', '\n\n### '],
    role_content_sep: ':\n',
    role_empty_sep: ':\n',
    stop_str: ['</s>'],
    stop_token_ids: [2],
    system_prefix_token_ids: [1],
  },
];
