// Source: mlc-llm python/mlc_llm/conversation_template/tinyllama.py
import type { ConversationSpec } from '../conversation';

export const TINYLLAMA_TEMPLATES: ConversationSpec[] = [
  {
    name: 'tinyllama_v1_0',
    system_template: '<|system|>\n{system_message}</s>',
    system_message: 'You are a helpful chatbot.',
    roles: { user: '<|user|>', assistant: '<|assistant|>' },
    seps: ['</s>'],
    role_content_sep: '\n',
    role_empty_sep: '\n',
    stop_str: ['</s>'],
    stop_token_ids: [2],
  },
];
