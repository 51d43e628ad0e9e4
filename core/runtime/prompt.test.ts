import { promptTokens, renderPrompt } from './prompt';
import { LM_TEMPLATE } from './test-support/write-model-dir';
import type { ConvTemplateJson } from './chat-config';

// Strings of spec mlc-format.md §3.3 (llama-2, chatml), assembled by hand following §3.1.
const chatml: ConvTemplateJson = {
  ...LM_TEMPLATE,
  name: 'chatml',
  system_template: '<|im_start|>system\n{system_message}<|im_end|>\n',
  system_message: 'SYS',
  system_prefix_token_ids: null,
  roles: { user: '<|im_start|>user', assistant: '<|im_start|>assistant' },
  seps: ['<|im_end|>\n'],
  role_content_sep: '\n',
  role_empty_sep: '\n',
  stop_str: ['<|im_end|>'],
};
const llama2: ConvTemplateJson = {
  ...LM_TEMPLATE,
  name: 'llama-2',
  system_template: '[INST] <<SYS>>\n{system_message}\n<</SYS>>\n\n',
  system_message: 'S',
  add_role_after_system_message: false,
  roles: { user: '<s>[INST]', assistant: '[/INST]', tool: '[INST]' },
  seps: [' ', ' </s>'],
  role_content_sep: ' ',
  role_empty_sep: ' ',
};

describe('renderPrompt', () => {
  it('chatml: system, a turn and the open assistant role', () => {
    expect(renderPrompt(chatml, [['user', 'Hi'], ['assistant', null]])).toBe(
      '<|im_start|>system\nSYS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
    );
  });
  it('llama-2: no role before the first message after the system prompt, two separators', () => {
    expect(renderPrompt(llama2, [['user', 'A'], ['assistant', 'B'], ['user', 'C'], ['assistant', null]])).toBe(
      '[INST] <<SYS>>\nS\n<</SYS>>\n\nA [/INST] B </s><s>[INST] C [/INST] ',
    );
  });
  it('LM: the raw text', () => {
    expect(renderPrompt(LM_TEMPLATE, [['user', 'def f():'], ['assistant', null]])).toBe('def f():');
  });
});

describe('promptTokens', () => {
  it('puts system_prefix_token_ids (BOS) before the encoded prompt', () => {
    const encode = (t: string) => Array.from(t, (c) => c.charCodeAt(0));
    expect(promptTokens(LM_TEMPLATE, [['user', 'ab'], ['assistant', null]], encode)).toEqual([1, 97, 98]);
    expect(promptTokens(chatml, [['user', 'a']], encode)[0]).toBe('<'.charCodeAt(0));
  });
});
