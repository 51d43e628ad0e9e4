// Source: mlc-llm python/mlc_llm/conversation_template/olmo.py and olmo2.py
import type { ConversationSpec } from '../conversation';

export const OLMO_TEMPLATES: ConversationSpec[] = [
  {
    // OLMo's eos token "<|endoftext|>" is id 50279 in both the AllenAI and the AMD release.
    name: 'olmo',
    system_template: '{system_message}',
    system_message: '',
    system_prefix_token_ids: [50279],
    roles: { user: '<|user|>', assistant: '<|assistant|>' },
    seps: ['\n'],
    role_content_sep: '\n',
    role_empty_sep: '\n',
    stop_token_ids: [50279],
  },
  {
    // OLMo-2 Instruct (Tulu format).
    name: 'olmo2',
    system_template: '<|system|>\n{system_message}\n',
    system_message: '',
    roles: { user: '<|user|>', assistant: '<|assistant|>' },
    seps: ['<|endoftext|>\n'],
    role_content_sep: '\n',
    role_empty_sep: '\n',
    stop_str: ['<|endoftext|>'],
    stop_token_ids: [100257],
    system_prefix_token_ids: [100257],
  },
];
