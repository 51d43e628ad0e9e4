// Source: mlc-llm python/mlc_llm/conversation_template/glm.py
import type { ConversationSpec } from '../conversation';

export const GLM_TEMPLATES: ConversationSpec[] = [
  {
    name: 'glm',
    system_template: '{system_message}',
    system_message: '',
    roles: { user: '\u95EE', assistant: '\u7B54', tool: '\u95EE' }, // 问 / 答
    seps: ['\n\n'],
    role_content_sep: ': ',
    role_empty_sep: ':',
    stop_str: ['</s>'],
    stop_token_ids: [2],
    system_prefix_token_ids: [64790, 64792],
  },
];
