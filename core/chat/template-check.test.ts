import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NxMlcError } from '../support/errors';
import { formatTemplateCheck, templateCheck } from './template-check';

const FIXTURES = path.join(__dirname, 'fixtures');

describe('templateCheck', () => {
  it('finds where Llama-3.1 Instruct and llama-3_1 part: the knowledge-cutoff preamble', () => {
    const r = templateCheck(path.join(FIXTURES, 'llama-3.1-instruct'), 'llama-3_1');
    expect(r.withSystem).toBe(true);
    expect(r.prefix).toEqual({ jinja: '<|begin_of_text|>', mlc: '<|begin_of_text|>', agree: true });
    // 17 chars of <|begin_of_text|> + 44 of "<|start_header_id|>system<|end_header_id|>\n\n".
    expect(r.firstDifference).toEqual({
      index: 61,
      mlcIndex: 61,
      jinjaContext: 'er_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December',
      mlcContext: 'er_id|>system<|end_header_id|>\n\nYou are a concise assistant.<|eo',
    });
    expect(r.jinjaText.startsWith('<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nYou are a concise assistant.<|eot_id|>')).toBe(true);
    expect(r.mlcText.endsWith('<|start_header_id|>user<|end_header_id|>\n\nAnd of Italy?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n')).toBe(true);
  });

  it('reports identical prompts for Gemma-2-it with gemma_instruction', () => {
    const r = templateCheck(path.join(FIXTURES, 'gemma-2-it'), 'gemma_instruction');
    expect(r.withSystem).toBe(false);
    expect(r.firstDifference).toBeNull();
    expect(r.prefix).toEqual({ jinja: '<bos>', mlc: '<bos>', agree: true });
    expect(r.jinjaText).toBe(
      '<bos><start_of_turn>user\nWhat is the capital of France?<end_of_turn>\n' +
        '<start_of_turn>model\nThe capital of France is Paris.<end_of_turn>\n' +
        '<start_of_turn>user\nAnd of Italy?<end_of_turn>\n<start_of_turn>model\n',
    );
    expect(formatTemplateCheck(r)).toContain('result: identical prompts');
  });

  it('shows Phi-3: MLC adds <s> the template does not write, and omits <|end|> after the system text', () => {
    const r = templateCheck(path.join(FIXTURES, 'phi-3-mini-instruct'), 'phi-3');
    expect(r.prefix).toEqual({ jinja: '', mlc: '<s>', agree: false });
    // "<|system|>\nYou are a concise assistant." is 39 chars; both sides continue with "<|".
    expect(r.firstDifference?.index).toBe(41);
    expect(r.firstDifference?.mlcIndex).toBe(44);
    const text = formatTemplateCheck(r);
    expect(text).toContain('(DIFFER)');
    // The caret sits under the first differing character on both context lines.
    const lines = text.split('\n');
    const jinjaLine = lines.find((l) => l.startsWith('  jinja: '))!;
    const mlcLine = lines.find((l) => l.startsWith('  mlc:   '))!;
    const caretCol = lines.find((l) => /^\s+\^$/.test(l))!.indexOf('^');
    expect(jinjaLine.slice(caretCol, caretCol + 7)).toBe('end|>\\n');
    expect(mlcLine.slice(caretCol, caretCol + 6)).toBe('user|>');
    expect(jinjaLine.slice(0, caretCol)).toBe(mlcLine.slice(0, caretCol).replace('  mlc:   ', '  jinja: '));
  });

  it('prefers chat_template.jinja over tokenizer_config.json', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-chat-'));
    try {
      fs.copyFileSync(path.join(FIXTURES, 'qwen2.5-instruct', 'tokenizer_config.json'), path.join(dir, 'tokenizer_config.json'));
      fs.writeFileSync(
        path.join(dir, 'chat_template.jinja'),
        "{% for m in messages %}{{ m['role'] + ': ' + m['content'] + '\\n' }}{% endfor %}",
      );
      const r = templateCheck(dir, 'qwen2');
      expect(r.chatTemplateOrigin).toBe(path.join(dir, 'chat_template.jinja'));
      expect(r.jinjaText.startsWith('system: You are a concise assistant.\nuser: ')).toBe(true);
      expect(r.firstDifference?.index).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('explains a base model has nothing to compare', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-chat-'));
    try {
      fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>' }));
      expect(() => templateCheck(dir, 'LM')).toThrow(NxMlcError);
      expect(() => templateCheck(dir, 'LM')).toThrow(/--conv-template LM/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown template name before reading anything', () => {
    expect(() => templateCheck(path.join(FIXTURES, 'gemma-2-it'), 'gemma')).toThrow(/unknown conversation template/);
  });
});
