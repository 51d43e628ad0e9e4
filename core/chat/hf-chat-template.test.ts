import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NxMlcError } from '../support/errors';
import { addedTokenTexts, chatTemplateFromConfig, readChatTemplate, renderHfChatTemplate, specialTokenText } from './hf-chat-template';

describe('HF chat template lookup', () => {
  it('reads special tokens written as strings or AddedToken objects', () => {
    expect(specialTokenText('<s>')).toBe('<s>');
    expect(specialTokenText({ __type: 'AddedToken', content: '</s>', lstrip: false })).toBe('</s>');
    expect(specialTokenText(null)).toBeNull();
    expect(addedTokenTexts({ added_tokens_decoder: { '2': { content: '<bos>' }, x: { content: 'bad' } } })).toEqual(
      new Map([[2, '<bos>']]),
    );
  });

  it('rejects a list of named templates without "default", naming the field and the fix', () => {
    let error: unknown;
    try {
      chatTemplateFromConfig({ chat_template: [{ name: 'rag', template: 'x' }] }, 'm/tokenizer_config.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NxMlcError);
    expect((error as NxMlcError).file).toBe('m/tokenizer_config.json');
    expect((error as NxMlcError).field).toBe('chat_template');
    expect((error as NxMlcError).fix).toContain('rag');
  });

  it('falls back to chat_template.json (multimodal processors) and returns null for a base model', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-hfct-'));
    try {
      expect(readChatTemplate(dir)).toBeNull();
      fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>' }));
      expect(readChatTemplate(dir)).toBeNull();
      fs.writeFileSync(path.join(dir, 'chat_template.json'), JSON.stringify({ chat_template: '{{ messages[0].content }}' }));
      expect(readChatTemplate(dir)).toEqual({
        text: '{{ messages[0].content }}',
        origin: `${path.join(dir, 'chat_template.json')}#chat_template`,
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('renders with the generation prompt and surfaces raise_exception', () => {
    const t = "{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}";
    expect(renderHfChatTemplate(t, [{ role: 'user', content: 'hi' }], {})).toBe('[user]hi[assistant]');
    expect(() => renderHfChatTemplate("{{ raise_exception('nope') }}", [], {})).toThrow(/nope/);
  });
});
