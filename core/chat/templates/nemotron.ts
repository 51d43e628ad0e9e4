// Source: mlc-llm python/mlc_llm/conversation_template/nemotron.py
import type { ConversationSpec } from '../conversation';

export const NEMOTRON_TEMPLATES: ConversationSpec[] = [
  {
    name: 'nemotron',
    system_template: '<extra_id_0>System\n{system_message}\n\n',
    system_message: '',
    roles: { user: '<extra_id_1>User', assistant: '<extra_id_1>Assistant', tool: '<extra_id_1>Tool' },
    seps: ['\n'],
    role_content_sep: '\n',
    role_empty_sep: '\n',
    stop_str: ['</s>'],
    stop_token_ids: [3],
    system_prefix_token_ids: [2],
    add_role_after_system_message: true,
  },
];
