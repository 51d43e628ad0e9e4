// Source: mlc-llm python/mlc_llm/conversation_template/cohere.py
import type { ConversationSpec } from '../conversation';

export const COHERE_TEMPLATES: ConversationSpec[] = [
  {
    name: 'aya-23',
    system_template: '<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>{system_message}<|END_OF_TURN_TOKEN|>',
    system_message:
      'You are Command-R, a brilliant, sophisticated, AI-assistant trained to assist human users by providing thorough responses.',
    roles: {
      user: '<|START_OF_TURN_TOKEN|><|USER_TOKEN|>',
      assistant: '<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>',
    },
    seps: ['<|END_OF_TURN_TOKEN|>'],
    role_content_sep: '',
    role_empty_sep: '',
    system_prefix_token_ids: [5],
    stop_str: ['<|END_OF_TURN_TOKEN|>'],
    stop_token_ids: [6, 255001],
  },
];
