// Source: mlc-llm python/mlc_llm/conversation_template/llm_jp.py
import type { ConversationSpec } from '../conversation';

export const LLM_JP_TEMPLATES: ConversationSpec[] = [
  {
    name: 'llm-jp',
    system_template: '{system_message}',
    // 以下は、タスクを説明する指示です。要求を適切に満たす応答を書きなさい。
    system_message: '以下は、タスクを説明する指示です。要求を適切に満たす応答を書きなさい。',
    roles: { user: '\n\n### 指示:', assistant: '\n\n### 応答:' },
    seps: ['', '</s>'],
    role_content_sep: '\n',
    role_empty_sep: '\n',
    stop_str: [],
    stop_token_ids: [2],
    system_prefix_token_ids: [1],
    add_role_after_system_message: true,
  },
];
