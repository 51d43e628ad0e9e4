// Source: mlc-llm python/mlc_llm/conversation_template/registry.py (the templates it registers itself).
import type { ConversationSpec } from '../conversation';

export const BASE_TEMPLATES: ConversationSpec[] = [
  {
    name: 'chatml',
    system_template: '<|im_start|>system\n{system_message}<|im_end|>\n',
    system_message:
      'A conversation between a user and an LLM-based AI assistant. The assistant gives helpful and honest answers.',
    roles: { user: '<|im_start|>user', assistant: '<|im_start|>assistant' },
    seps: ['<|im_end|>\n'],
    role_content_sep: '\n',
    role_empty_sep: '\n',
    stop_str: ['<|im_end|>'],
    stop_token_ids: [2],
  },
  {
    name: 'chatml_nosystem',
    system_template: '{system_message}',
    system_message: '',
    roles: { user: '<|im_start|>user', assistant: '<|im_start|>assistant' },
    seps: ['<|im_end|>\n'],
    role_content_sep: '\n',
    role_empty_sep: '\n',
    stop_str: ['<|im_end|>'],
    stop_token_ids: [2],
  },
  {
    // Vanilla LM: no chat structure at all; MLC's choice for base (non-chat) models.
    name: 'LM',
    system_template: '{system_message}',
    system_message: '',
    roles: { user: '', assistant: '' },
    seps: [''],
    role_content_sep: '',
    role_empty_sep: '',
    stop_str: [],
    stop_token_ids: [2],
    system_prefix_token_ids: [1],
  },
];
