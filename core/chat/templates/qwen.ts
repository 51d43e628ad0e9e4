// Source: mlc-llm python/mlc_llm/conversation_template/qwen2.py, qwen3.py and qwen3_5.py.
// qwen3_5 follows the version the spec describes (pinned commit: the <think> opener is part of the
// assistant role). A later upstream revision moved it into role_empty_sep and added
// strip_reasoning_in_history; see core/chat/README.md.
import type { ConversationSpec } from '../conversation';

const QWEN_CHATML: Omit<ConversationSpec, 'name' | 'roles' | 'stop_token_ids'> = {
  system_template: '<|im_start|>system\n{system_message}<|im_end|>\n',
  system_message: 'You are a helpful assistant.',
  seps: ['<|im_end|>\n'],
  role_content_sep: '\n',
  role_empty_sep: '\n',
  stop_str: ['<|endoftext|>', '<|im_end|>'],
};

export const QWEN_TEMPLATES: ConversationSpec[] = [
  {
    name: 'qwen2',
    ...QWEN_CHATML,
    roles: { user: '<|im_start|>user', assistant: '<|im_start|>assistant' },
    stop_token_ids: [151643, 151645],
  },
  {
    // Same prompt as qwen2; the runtime strips <think>...</think> from earlier assistant turns.
    name: 'qwen3',
    ...QWEN_CHATML,
    roles: { user: '<|im_start|>user', assistant: '<|im_start|>assistant' },
    stop_token_ids: [151643, 151645],
    strip_reasoning_in_history: true,
  },
  {
    name: 'qwen3_5',
    ...QWEN_CHATML,
    roles: { user: '<|im_start|>user', assistant: '<|im_start|>assistant\n<think>' },
    stop_token_ids: [248046, 248044],
  },
  {
    name: 'qwen3_5_nothink',
    ...QWEN_CHATML,
    roles: { user: '<|im_start|>user', assistant: '<|im_start|>assistant\n<think>\n\n</think>\n' },
    stop_token_ids: [248046, 248044],
  },
];
