// Source: mlc-llm python/mlc_llm/conversation_template/stablelm.py
import type { ConversationSpec } from '../conversation';

export const STABLELM_TEMPLATES: ConversationSpec[] = [
  {
    name: 'stablelm',
    system_template: '{system_message}',
    system_message:
      '<|SYSTEM|># StableLM Tuned (Alpha version)\n' +
      '- StableLM is a helpful and harmless open-source AI language model developed by StabilityAI.\n' +
      '- StableLM is excited to be able to help the user, but will refuse to do anything that could be considered harmful to the user.\n' +
      '- StableLM is more than just an information source, StableLM is also able to write poetry, short stories, and make jokes.\n' +
      '- StableLM will refuse to participate in anything that could harm a human.',
    roles: { user: '<|USER|>', assistant: '<|ASSISTANT|>' },
    seps: [''],
    role_content_sep: ': ',
    role_empty_sep: ': ',
    stop_str: [''],
    stop_token_ids: [50278, 50279, 50277, 1, 0],
  },
  {
    name: 'stablelm-3b',
    system_template: '{system_message}',
    system_message: '',
    roles: { user: '<|user|>', assistant: '<|assistant|>' },
    seps: ['<|endoftext|>', '<|endoftext|>'],
    role_content_sep: '\n',
    role_empty_sep: '\n',
    stop_str: ['<|endoftext|>'],
    stop_token_ids: [0],
  },
  {
    name: 'stablelm-2',
    system_template: '{system_message}',
    system_message: '',
    roles: { user: '<|user|>', assistant: '<|assistant|>' },
    seps: ['<|endoftext|>', '<|endoftext|>'],
    role_content_sep: '\n',
    role_empty_sep: '\n',
    stop_str: ['<|endoftext|>'],
    stop_token_ids: [100257],
  },
];
