/**
 * `--conv-template auto` on the real chat templates of five instruct models (fixtures/*, copied
 * from their tokenizer_config.json). The expected choices are MLC-LLM's own picks for these models
 * (the conv_template of their prebuilt mlc-chat-config.json), not outputs of this code.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseConvTemplate, chooseConvTemplateForDir } from './auto-select';
import type { TokenizerConfig } from './hf-chat-template';

const FIXTURES = path.join(__dirname, 'fixtures');
function fixture(name: string): TokenizerConfig {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name, 'tokenizer_config.json'), 'utf8')) as TokenizerConfig;
}

describe('chooseConvTemplate', () => {
  it('Qwen2.5-Instruct → qwen2, exact (ChatML; tie with chatml/hermes broken by <|im_end|> = 151645)', () => {
    const choice = chooseConvTemplate(fixture('qwen2.5-instruct'));
    expect(choice.name).toBe('qwen2');
    expect(choice.exact).toBe(true);
    expect(choice.score).toBe(1);
    expect(choice.reason).toMatch(/exactly/);
    expect(choice.ranking.map((r) => r.name)).toContain('chatml');
  });

  it('Gemma-2-it → gemma_instruction, exact, rendered without a system turn (the template rejects one)', () => {
    const choice = chooseConvTemplate(fixture('gemma-2-it'));
    expect(choice.name).toBe('gemma_instruction');
    expect(choice.exact).toBe(true);
    expect(choice.reason).toMatch(/without a system message/);
  });

  it('Llama-3.1-Instruct → llama-3_1, not exact (the HF template adds a knowledge-cutoff preamble)', () => {
    const choice = chooseConvTemplate(fixture('llama-3.1-instruct'), { eosTokenIds: [128001, 128008, 128009] });
    expect(choice.name).toBe('llama-3_1');
    expect(choice.exact).toBe(false);
    // "<|start_header_id|>system<|end_header_id|>\n\n" (44 chars) agrees, then "Cutting Knowledge Date" starts.
    expect(choice.ranking[0].commonPrefix).toBe(44);
    expect(choice.score).toBeGreaterThan(0);
    expect(choice.score).toBeLessThan(1);
    expect(choice.reason).toMatch(/first 44 of/);
    expect(choice.ranking[1].name).toBe('llama-3');
    expect(choice.reason).toMatch(/stop tokens/);
  });

  it('Phi-3-mini-instruct → phi-3 (phi-4 renders the same; the EOS id 32000 decides)', () => {
    const choice = chooseConvTemplate(fixture('phi-3-mini-instruct'));
    expect(choice.name).toBe('phi-3');
    expect(choice.exact).toBe(false); // MLC writes no <|end|> after the system text
    expect(choice.ranking[1].name).toBe('phi-4');
  });

  it('Mistral-7B-Instruct-v0.3 → mistral_default (closest; no MLC template is exact)', () => {
    const choice = chooseConvTemplate(fixture('mistral-7b-instruct-v0.3'));
    expect(choice.name).toBe('mistral_default');
    expect(choice.exact).toBe(false);
    expect(choice.ranking[1].name).toBe('llama-2');
    expect(choice.ranking[0].similarity).toBeGreaterThan(choice.ranking[1].similarity);
  });

  it('a base model without chat_template gets LM', () => {
    const { chat_template: _dropped, ...base } = fixture('llama-3.1-instruct');
    const choice = chooseConvTemplate(base);
    expect(choice).toMatchObject({ name: 'LM', exact: false, score: 0 });
    expect(choice.reason).toMatch(/no chat_template/);
    expect(chooseConvTemplate(null).name).toBe('LM');
  });

  it('uses the "default" entry of a list of named chat templates', () => {
    const qwen = fixture('qwen2.5-instruct');
    const listed: TokenizerConfig = {
      ...qwen,
      chat_template: [
        { name: 'tool_use', template: '{{ "tools only" }}' },
        { name: 'default', template: qwen.chat_template as string },
      ],
    };
    expect(chooseConvTemplate(listed)).toMatchObject({ name: 'qwen2', exact: true });
  });

  it('takes an explicit template text (chat_template.jinja) over the config field', () => {
    const gemma = fixture('gemma-2-it');
    const choice = chooseConvTemplate(fixture('qwen2.5-instruct'), { chatTemplate: gemma.chat_template as string });
    // Qwen's config has no <bos> token text, Gemma's template writes bos_token (""), so the turns match exactly.
    expect(choice.name).toBe('gemma_instruction');
  });
});

describe('chooseConvTemplateForDir', () => {
  it('reads tokenizer_config.json and the EOS ids of generation_config.json', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nx-mlc-auto-'));
    try {
      fs.copyFileSync(path.join(FIXTURES, 'llama-3.1-instruct', 'tokenizer_config.json'), path.join(dir, 'tokenizer_config.json'));
      // Llama-3.1-Instruct's generation_config.json stops on <|end_of_text|>, <|eom_id|>, <|eot_id|>.
      fs.writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [128001, 128008, 128009] }));
      const choice = chooseConvTemplateForDir(dir);
      expect(choice.name).toBe('llama-3_1');
      expect(choice.ranking[0].stopOverlap).toBe(3);
      expect(choice.ranking[1]).toMatchObject({ name: 'llama-3', stopOverlap: 2 });
      expect(choice.chatTemplateOrigin).toBe(path.join(dir, 'tokenizer_config.json#chat_template'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
