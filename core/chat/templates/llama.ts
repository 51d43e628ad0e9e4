// Source: mlc-llm python/mlc_llm/conversation_template/llama.py
// llama-4 is taken from spec/mlc-format.md §3.3 only: no stored copy of llama.py containing it was found
// (see core/chat/README.md); its test is marked unverified.
import type { ConversationSpec } from '../conversation';

const LLAMA3_SYSTEM = '<|start_header_id|>system<|end_header_id|>\n\n{system_message}<|eot_id|>';
const LLAMA2_MESSAGE = 'You are a helpful, respectful and honest assistant.';

export const LLAMA_TEMPLATES: ConversationSpec[] = [
  {
    name: 'llama-4',
    system_template: '',
    system_message: '',
    roles: { user: '<|header_start|>user', assistant: '<|header_start|>assistant', tool: '<|header_start|>ipython' },
    seps: ['<|eot|>'],
    role_content_sep: '<|header_end|>\n\n',
    role_empty_sep: '<|header_end|>\n\n',
    stop_str: [],
    stop_token_ids: [200001, 200007, 200008],
    system_prefix_token_ids: [200000],
    add_role_after_system_message: false,
  },
  {
    // Same as llama-3 except the tool role and the stop criteria (<|eom_id|> added, no stop strings).
    name: 'llama-3_1',
    system_template: LLAMA3_SYSTEM,
    system_message: LLAMA2_MESSAGE,
    roles: {
      user: '<|start_header_id|>user',
      assistant: '<|start_header_id|>assistant',
      tool: '<|start_header_id|>ipython',
    },
    seps: ['<|eot_id|>'],
    role_content_sep: '<|end_header_id|>\n\n',
    role_empty_sep: '<|end_header_id|>\n\n',
    stop_str: [],
    stop_token_ids: [128001, 128008, 128009],
    system_prefix_token_ids: [128000],
    add_role_after_system_message: true,
  },
  {
    name: 'llama-3',
    system_template: LLAMA3_SYSTEM,
    system_message: LLAMA2_MESSAGE,
    roles: { user: '<|start_header_id|>user', assistant: '<|start_header_id|>assistant' },
    seps: ['<|eot_id|>'],
    role_content_sep: '<|end_header_id|>\n\n',
    role_empty_sep: '<|end_header_id|>\n\n',
    stop_str: ['<|end_of_text|>', '<|eot_id|>'],
    stop_token_ids: [128001, 128009],
    system_prefix_token_ids: [128000],
    add_role_after_system_message: true,
  },
  {
    name: 'llama-2',
    system_template: '[INST] <<SYS>>\n{system_message}\n<</SYS>>\n\n',
    system_message: LLAMA2_MESSAGE,
    roles: { user: '<s>[INST]', assistant: '[/INST]', tool: '[INST]' },
    seps: [' ', ' </s>'],
    role_content_sep: ' ',
    role_empty_sep: ' ',
    stop_str: ['[INST]'],
    stop_token_ids: [2],
    system_prefix_token_ids: [1],
    add_role_after_system_message: false,
  },
  {
    name: 'codellama_completion',
    system_template: '{system_message}',
    system_message: '',
    roles: { user: '', assistant: '' },
    seps: [''],
    role_content_sep: '',
    role_empty_sep: '',
    stop_str: ['</s>'],
    stop_token_ids: [2],
    system_prefix_token_ids: [1],
  },
  {
    name: 'codellama_instruct',
    system_template: '{system_message}',
    system_message: '',
    roles: { user: '[INST]', assistant: '[/INST]' },
    seps: [' '],
    role_content_sep: ' ',
    role_empty_sep: ' ',
    stop_str: ['</s>'],
    stop_token_ids: [2],
    system_prefix_token_ids: [1],
  },
];
