/**
 * `nx-mlc template-check <dir> --conv-template T`: render the same sample conversation with the
 * checkpoint's Jinja chat template and with MLC template T, and show where they first differ.
 */
import * as path from 'node:path';
import { NxMlcError } from '../support/errors';
import { renderJinjaSample } from './auto-select';
import { addedTokenTexts, readChatTemplate, readTokenizerConfig } from './hf-chat-template';
import { getConvTemplate } from './registry';
import { renderSampleWithMlc } from './sample';
import { commonPrefixLength } from './text-compare';

const CONTEXT_CHARS = 32;

export interface TemplateCheckResult {
  templateName: string;
  /** Where the checkpoint's chat template was read from. */
  chatTemplateOrigin: string;
  /** False when the checkpoint's template rejects a system turn and the sample was rendered without one. */
  withSystem: boolean;
  /** The Jinja rendering, as transformers' apply_chat_template(tokenize=False) returns it. */
  jinjaText: string;
  /** MLC's prompt, preceded by its system_prefix_token_ids written as token text. */
  mlcText: string;
  /** Leading BOS-like tokens: compared separately, because MLC adds them as ids, not text. */
  prefix: { jinja: string; mlc: string; agree: boolean };
  /** First difference after the leading tokens; null when the prompts agree. */
  firstDifference: { index: number; mlcIndex: number; jinjaContext: string; mlcContext: string } | null;
}

function prefixTokenText(ids: readonly number[] | null, tokens: Map<number, string>): string {
  return (ids ?? []).map((id) => tokens.get(id) ?? `<token ${id}>`).join('');
}

export function templateCheck(dir: string, templateName: string): TemplateCheckResult {
  const conv = getConvTemplate(templateName);
  const config = readTokenizerConfig(dir);
  const source = readChatTemplate(dir, config);
  if (!source) {
    throw new NxMlcError('the checkpoint has no chat template to compare with', {
      file: path.join(dir, 'tokenizer_config.json'),
      field: 'chat_template',
      fix: 'a base model has no chat format: use --conv-template LM',
    });
  }
  const jinja = renderJinjaSample(source.text, config ?? {});
  const mlcBody = renderSampleWithMlc(conv, jinja.withSystem);
  const jinjaPrefix = jinja.strippedBos ?? '';
  const mlcPrefix = prefixTokenText(conv.system_prefix_token_ids, addedTokenTexts(config ?? {}));
  const common = commonPrefixLength(jinja.text, mlcBody);
  const same = common === jinja.text.length && common === mlcBody.length;
  const context = (text: string, at: number) => text.slice(Math.max(0, at - CONTEXT_CHARS), at + CONTEXT_CHARS);
  return {
    templateName,
    chatTemplateOrigin: source.origin,
    withSystem: jinja.withSystem,
    jinjaText: jinjaPrefix + jinja.text,
    mlcText: mlcPrefix + mlcBody,
    prefix: { jinja: jinjaPrefix, mlc: mlcPrefix, agree: jinjaPrefix === mlcPrefix },
    firstDifference: same
      ? null
      : {
          index: jinjaPrefix.length + common,
          mlcIndex: mlcPrefix.length + common,
          jinjaContext: context(jinja.text, common),
          mlcContext: context(mlcBody, common),
        },
  };
}

/** Newlines and other control characters made visible, so a difference in whitespace shows. */
function visible(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

export function formatTemplateCheck(result: TemplateCheckResult): string {
  const lines: string[] = [];
  lines.push(`template-check: MLC template "${result.templateName}" vs ${result.chatTemplateOrigin}`);
  lines.push(
    `sample: ${result.withSystem ? 'system + ' : ''}user + assistant + user, then the generation prompt` +
      (result.withSystem ? '' : ' (the checkpoint rejects a system turn)'),
  );
  const show = (s: string) => (s === '' ? '(none)' : `"${visible(s)}"`);
  lines.push(
    `leading tokens: Jinja writes ${show(result.prefix.jinja)}, MLC prepends ${show(result.prefix.mlc)}` +
      (result.prefix.agree ? ' (agree)' : ' (DIFFER)'),
  );
  const diff = result.firstDifference;
  if (!diff) {
    lines.push(
      result.prefix.agree
        ? 'result: identical prompts'
        : 'result: identical prompts after the leading tokens',
    );
  } else {
    lines.push(`result: first difference at character ${diff.index} of the Jinja text (${diff.mlcIndex} of the MLC text)`);
    // Both contexts share the text before the difference, so one caret marks the spot on both lines.
    const before = visible(diff.jinjaContext.slice(0, Math.min(CONTEXT_CHARS, diff.index - result.prefix.jinja.length)));
    const lead = diff.index - result.prefix.jinja.length > CONTEXT_CHARS ? '…' : '';
    lines.push(`  jinja: ${lead}${visible(diff.jinjaContext)}`);
    lines.push(`  mlc:   ${lead}${visible(diff.mlcContext)}`);
    lines.push(`         ${' '.repeat(lead.length + before.length)}^`);
  }
  lines.push('--- Jinja (checkpoint) ---', result.jinjaText, `--- MLC (${result.templateName}) ---`, result.mlcText, '---');
  return lines.join('\n');
}
