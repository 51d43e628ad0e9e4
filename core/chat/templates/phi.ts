// Source: mlc-llm python/mlc_llm/conversation_template/phi.py
// phi-4 is taken from spec/mlc-format.md §3.3 only: no stored copy of phi.py containing it was found
// (see core/chat/README.md); its test is marked unverified.
import type { ConversationSpec } from '../conversation';

const PHI3_MESSAGE =
  'You are a helpful digital assistant. Please provide safe, ethical and accurate information to the user.';
const PHI3_TURNS: Pick<ConversationSpec, 'roles' | 'seps' | 'role_content_sep' | 'role_empty_sep'> = {
  roles: { user: '<|user|>', assistant: '<|assistant|>' },
  seps: ['<|end|>\n'],
  role_content_sep: '\n',
  role_empty_sep: '\n',
};

export const PHI_TEMPLATES: ConversationSpec[] = [
  {
    name: 'phi-2',
    system_template: '{system_message}',
    system_message: '',
    roles: { user: 'Instruct', assistant: 'Output' },
    seps: ['\n'],
    role_content_sep: ': ',
    role_empty_sep: ':',
    stop_str: ['<|endoftext|>'],
    stop_token_ids: [50256],
  },
  {
    name: 'phi-3',
    system_template: '<|system|>\n{system_message}',
    system_message: PHI3_MESSAGE,
    ...PHI3_TURNS,
    system_prefix_token_ids: [1],
    stop_str: ['<|endoftext|>'],
    stop_token_ids: [2, 32000, 32001, 32007],
  },
  {
    name: 'phi-3-vision',
    system_template: '{system_message}',
    system_message: '',
    ...PHI3_TURNS,
    system_prefix_token_ids: [1],
    stop_str: ['<|endoftext|>'],
    stop_token_ids: [2, 32000, 32001, 32007],
  },
  {
    name: 'phi-4',
    system_template: '<|system|>\n{system_message}',
    system_message: PHI3_MESSAGE,
    ...PHI3_TURNS,
    system_prefix_token_ids: [200022],
    stop_str: ['<|endoftext|>', '<|end|>'],
    stop_token_ids: [199999, 200020],
  },
];
