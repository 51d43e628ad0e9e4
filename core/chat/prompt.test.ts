/**
 * Prompt assembly against strings written by hand from MLC's `as_prompt` rules (spec §3.1) and the
 * template sources — never produced by the code under test.
 */
import { NxMlcError } from '../support/errors';
import { type PromptMessage, renderConversationPrompt } from './prompt';
import { getConvTemplate } from './registry';

const TWO_TURNS: PromptMessage[] = [
  { role: 'user', content: 'Hi' },
  { role: 'assistant', content: 'Hello!' },
  { role: 'user', content: 'How are you?' },
  { role: 'assistant', content: null },
];

function withSystem(name: string, systemMessage: string) {
  const conv = getConvTemplate(name);
  conv.system_message = systemMessage;
  return conv;
}

describe('renderConversationPrompt', () => {
  it('llama-3: header roles, <|eot_id|> after every turn, open assistant header last', () => {
    expect(renderConversationPrompt(withSystem('llama-3', 'Be brief.'), TWO_TURNS)).toBe(
      '<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>' +
        '<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
    );
  });

  it('chatml: the default system message is used when none is given', () => {
    expect(renderConversationPrompt(getConvTemplate('chatml'), TWO_TURNS)).toBe(
      '<|im_start|>system\nA conversation between a user and an LLM-based AI assistant. The assistant gives helpful and honest answers.<|im_end|>\n' +
        '<|im_start|>user\nHi<|im_end|>\n' +
        '<|im_start|>assistant\nHello!<|im_end|>\n' +
        '<|im_start|>user\nHow are you?<|im_end|>\n' +
        '<|im_start|>assistant\n',
    );
  });

  it('llama-2: no role before the first user message, two separators', () => {
    // add_role_after_system_message=false: the first message follows the <<SYS>> block directly;
    // seps[0]=" " after user turns, seps[1]=" </s>" after assistant turns.
    expect(renderConversationPrompt(withSystem('llama-2', 'Be brief.'), TWO_TURNS)).toBe(
      '[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\n' + 'Hi ' + '[/INST] Hello! </s>' + '<s>[INST] How are you? ' + '[/INST] ',
    );
  });

  it('phi-3: system text has no end marker of its own', () => {
    expect(renderConversationPrompt(getConvTemplate('phi-3'), TWO_TURNS)).toBe(
      '<|system|>\nYou are a helpful digital assistant. Please provide safe, ethical and accurate information to the user.' +
        '<|user|>\nHi<|end|>\n' +
        '<|assistant|>\nHello!<|end|>\n' +
        '<|user|>\nHow are you?<|end|>\n' +
        '<|assistant|>\n',
    );
  });

  it('LM: plain concatenation', () => {
    expect(
      renderConversationPrompt(getConvTemplate('LM'), [
        { role: 'user', content: 'Once upon a time' },
        { role: 'assistant', content: null },
      ]),
    ).toBe('Once upon a time');
  });

  it('gemma_instruction: empty system template adds nothing', () => {
    expect(renderConversationPrompt(getConvTemplate('gemma_instruction'), TWO_TURNS)).toBe(
      '<start_of_turn>user\nHi<end_of_turn>\n' +
        '<start_of_turn>model\nHello!<end_of_turn>\n' +
        '<start_of_turn>user\nHow are you?<end_of_turn>\n' +
        '<start_of_turn>model\n',
    );
  });

  it('mistral_default: empty role separator on the open assistant turn', () => {
    expect(renderConversationPrompt(withSystem('mistral_default', 'Be brief.'), TWO_TURNS)).toBe(
      '[INST] Be brief.' + 'Hi ' + '[/INST] Hello! ' + '[INST] How are you? ' + '[/INST]',
    );
  });

  it('replaces only the last {function_string} and removes the others', () => {
    // gorilla's user role template carries the placeholder; only the last user turn gets the functions.
    const conv = withSystem('gorilla', '');
    expect(
      renderConversationPrompt(
        conv,
        [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: 'b' },
          { role: 'user', content: 'c' },
          { role: 'assistant', content: null },
        ],
        '[F]',
      ),
    ).toBe(
      'USER: <<question>> a <<function>> \n' + 'ASSISTANT: b</s>' + 'USER: <<question>> c <<function>> [F]\n' + 'ASSISTANT:',
    );
  });

  it('rejects a role the template does not have', () => {
    expect(() =>
      renderConversationPrompt(getConvTemplate('llama-3'), [{ role: 'tool', content: '{}' }]),
    ).toThrow(NxMlcError);
  });
});
