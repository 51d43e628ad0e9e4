// Source: mlc-llm python/mlc_llm/conversation_template/rwkv.py
import type { ConversationSpec } from '../conversation';

export const RWKV_TEMPLATES: ConversationSpec[] = [
  {
    name: 'rwkv_world',
    system_template: 'User: hi\n\nAssistant: {system_message}',
    system_message:
      'Hi. I am your assistant and I will provide expert full response in full details. Please feel free to ask any question and I will always answer it.',
    roles: { user: 'User', assistant: 'Assistant' },
    seps: ['\n\n'],
    role_content_sep: ': ',
    role_empty_sep: ': ',
    stop_str: ['\n\n'],
    stop_token_ids: [0],
  },
];
