// Source: mlc-llm python/mlc_llm/conversation_template/deepseek.py
// DeepSeek's special tokens use U+FF5C (fullwidth vertical line) and U+2581 (lower one eighth block).
import type { ConversationSpec } from '../conversation';

const BOS = '<\uFF5Cbegin\u2581of\u2581sentence\uFF5C>';
const EOS = '<\uFF5Cend\u2581of\u2581sentence\uFF5C>';
const USER = '<\uFF5CUser\uFF5C>';
const ASSISTANT = '<\uFF5CAssistant\uFF5C>';

const DEEPSEEK_V1: Omit<ConversationSpec, 'name'> = {
  system_template: '{system_message}',
  system_message: '',
  system_prefix_token_ids: [100000],
  roles: { user: 'User', assistant: 'Assistant' },
  seps: ['\n\n', EOS],
  role_content_sep: ': ',
  role_empty_sep: ':',
  stop_str: [EOS],
  stop_token_ids: [100001],
};

const R1_MESSAGE =
  "You are Deepseek-R1, an AI assistant created exclusively by the Chinese Company DeepSeek. You'll provide helpful, harmless, and detailed responses to all user inquiries.";

export const DEEPSEEK_TEMPLATES: ConversationSpec[] = [
  { name: 'deepseek', ...DEEPSEEK_V1 },
  { name: 'deepseek_v2', ...DEEPSEEK_V1 },
  {
    name: 'deepseek_v3',
    system_template: `${BOS}{system_message}`,
    system_message:
      "You are Deepseek-V3, an AI assistant created exclusively by the Chinese Company DeepSeek. You'll provide helpful, harmless, and detailed responses to all user inquiries.",
    roles: { user: USER, assistant: ASSISTANT },
    seps: ['', EOS],
    role_content_sep: '',
    role_empty_sep: '',
    stop_token_ids: [1],
  },
  {
    name: 'deepseek_r1_qwen',
    system_template: `${BOS}{system_message}`,
    system_message: R1_MESSAGE,
    roles: { user: USER, assistant: ASSISTANT },
    seps: ['', EOS],
    role_content_sep: '',
    role_empty_sep: '',
    stop_token_ids: [151643],
  },
  {
    // Same as deepseek_r1_qwen except the stop token.
    name: 'deepseek_r1_llama',
    system_template: `${BOS}{system_message}`,
    system_message: R1_MESSAGE,
    roles: { user: USER, assistant: ASSISTANT },
    seps: ['', EOS],
    role_content_sep: '',
    role_empty_sep: '',
    stop_token_ids: [128001],
  },
];
