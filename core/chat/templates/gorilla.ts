// Source: mlc-llm python/mlc_llm/conversation_template/gorrilla.py (sic)
import type { ConversationSpec } from '../conversation';

export const GORILLA_TEMPLATES: ConversationSpec[] = [
  {
    name: 'gorilla',
    system_template: '{system_message}',
    system_message:
      "A chat between a curious user and an artificial intelligence assistant. The assistant provides helpful, detailed, and polite responses to the user's inquiries.",
    role_templates: { user: '<<question>> {user_message} <<function>> {function_string}' },
    roles: { user: 'USER', assistant: 'ASSISTANT', tool: 'USER' },
    seps: ['\n', '</s>'],
    role_content_sep: ': ',
    role_empty_sep: ':',
    stop_str: ['</s>'],
    stop_token_ids: [2],
    system_prefix_token_ids: [1],
  },
  {
    name: 'gorilla-openfunctions-v2',
    system_template: '{system_message}',
    system_message:
      'You are an AI programming assistant, utilizing the Gorilla LLM model, developed by Gorilla LLM, and you only answer questions related to computer science. For politically sensitive questions, security and privacy issues, and other non-computer science questions, you will refuse to answer.',
    role_templates: { user: '<<function>>{function_string}\n<<question>>{user_message}' },
    roles: { user: '### Instruction', assistant: '### Response', tool: '### Instruction' },
    seps: ['\n', '<|EOT|>'],
    role_content_sep: ': ',
    role_empty_sep: ': ',
    stop_str: ['<|EOT|>'],
    stop_token_ids: [100015],
    system_prefix_token_ids: [100000],
  },
];
