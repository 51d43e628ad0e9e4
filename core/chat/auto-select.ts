/**
 * `--conv-template auto`: pick the registered MLC template whose prompt matches the checkpoint's own
 * Jinja chat template on a fixed sample conversation.
 *
 * Fair comparison: the Jinja side is rendered like `apply_chat_template(..., add_generation_prompt=True)`
 * and a leading BOS token text is stripped, because MLC never writes BOS into the prompt text (it
 * prepends `system_prefix_token_ids` as ids) and whether HF's template writes it varies by model.
 * Ranking: exact match first, then the longest common prefix, then overall similarity (edit distance),
 * then how many of the checkpoint's EOS ids the template stops on, then MLC's registration order.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NxMlcError } from '../support/errors';
import {
  type TokenizerConfig,
  addedTokenTexts,
  chatTemplateFromConfig,
  readChatTemplate,
  readTokenizerConfig,
  renderHfChatTemplate,
  specialTokenText,
} from './hf-chat-template';
import { CONV_TEMPLATE_NAMES_IN_ORDER, getConvTemplate } from './registry';
import { renderSampleWithMlc, sampleMessages } from './sample';
import { commonPrefixLength, similarity } from './text-compare';

export interface ChooseOptions {
  /** The template text, when it comes from somewhere other than tokenizerConfig (chat_template.jinja). */
  chatTemplate?: string | null;
  /** EOS ids of the checkpoint (generation_config.json / config.json); used only to break ties. */
  eosTokenIds?: readonly number[];
  /** Restrict the candidates (default: every registered template). */
  candidates?: readonly string[];
}

export interface CandidateScore {
  name: string;
  exact: boolean;
  /** Characters of the Jinja rendering reproduced before the first difference. */
  commonPrefix: number;
  similarity: number;
  stopOverlap: number;
}

export interface ConvTemplateChoice {
  name: string;
  exact: boolean;
  /** 1 for an exact match, else the fraction of the Jinja rendering reproduced before the first difference. */
  score: number;
  reason: string;
  /** Best candidates first (the first entries; useful for messages and debugging). */
  ranking: CandidateScore[];
}

export interface RenderedSample {
  /** The Jinja rendering with a leading BOS text removed. */
  text: string;
  withSystem: boolean;
  strippedBos: string | null;
}

/** Renders the sample with the checkpoint's template, dropping the system turn if the template refuses it. */
export function renderJinjaSample(template: string, config: TokenizerConfig): RenderedSample {
  const bos = specialTokenText(config.bos_token);
  const eos = specialTokenText(config.eos_token);
  let text: string;
  let withSystem = true;
  try {
    text = renderHfChatTemplate(template, sampleMessages(true), { bos_token: bos, eos_token: eos });
  } catch (withSystemError) {
    // Some templates (Gemma) raise on a system turn; MLC's matching templates then have no system text.
    withSystem = false;
    try {
      text = renderHfChatTemplate(template, sampleMessages(false), { bos_token: bos, eos_token: eos });
    } catch (e) {
      throw new NxMlcError(`the checkpoint's chat_template cannot render a plain conversation: ${(e as Error).message}`, {
        field: 'chat_template',
        fix: 'pass --conv-template with one of the registered template names instead of auto',
      });
    }
  }
  const strippedBos = bos && text.startsWith(bos) ? bos : null;
  return { text: strippedBos ? text.slice(strippedBos.length) : text, withSystem, strippedBos };
}

function eosIds(config: TokenizerConfig, extra: readonly number[]): Set<number> {
  const ids = new Set(extra);
  const eos = specialTokenText(config.eos_token);
  if (eos !== null) for (const [id, text] of addedTokenTexts(config)) if (text === eos) ids.add(id);
  return ids;
}

const RANKING_SIZE = 5;

function compareCandidates(a: CandidateScore & { order: number }, b: CandidateScore & { order: number }): number {
  return (
    Number(b.exact) - Number(a.exact) ||
    b.commonPrefix - a.commonPrefix ||
    b.similarity - a.similarity ||
    b.stopOverlap - a.stopOverlap ||
    a.order - b.order
  );
}

export function chooseConvTemplate(tokenizerConfig: TokenizerConfig | null, opts: ChooseOptions = {}): ConvTemplateChoice {
  const config = tokenizerConfig ?? {};
  const template = opts.chatTemplate ?? chatTemplateFromConfig(config)?.text ?? null;
  if (template === null || template.trim() === '') {
    return {
      name: 'LM',
      exact: false,
      score: 0,
      reason: 'the checkpoint has no chat_template (a base model): using the plain LM template',
      ranking: [],
    };
  }
  const jinja = renderJinjaSample(template, config);
  const eos = eosIds(config, opts.eosTokenIds ?? []);
  const names = opts.candidates ?? CONV_TEMPLATE_NAMES_IN_ORDER;
  type Scored = CandidateScore & { order: number };
  const scored: Scored[] = [];
  names.forEach((name, order) => {
    const conv = getConvTemplate(name);
    let mlc: string;
    try {
      mlc = renderSampleWithMlc(conv, jinja.withSystem);
    } catch {
      return; // a template without one of the sample's roles cannot be the match
    }
    scored.push({
      name,
      order,
      exact: mlc === jinja.text,
      commonPrefix: commonPrefixLength(mlc, jinja.text),
      // Edit distance is the expensive measure: computed below, only for the leading candidates.
      similarity: Number.NaN,
      stopOverlap: conv.stop_token_ids.filter((id) => eos.has(id)).length,
      mlc,
    } as Scored & { mlc: string });
  });
  if (scored.length === 0) {
    throw new NxMlcError('no registered conversation template can render the sample conversation', {
      fix: 'pass --conv-template explicitly',
    });
  }
  scored.sort((a, b) => Number(b.exact) - Number(a.exact) || b.commonPrefix - a.commonPrefix || a.order - b.order);
  const top = scored[0];
  const contenders = scored.filter(
    (c, i) => i < RANKING_SIZE || (c.exact === top.exact && c.commonPrefix === top.commonPrefix),
  );
  for (const c of contenders) c.similarity = similarity((c as Scored & { mlc: string }).mlc, jinja.text);
  contenders.sort(compareCandidates);
  const best = contenders[0];
  const runnerUp = contenders[1];
  const ranking = contenders
    .slice(0, RANKING_SIZE)
    .map(({ name, exact, commonPrefix, similarity: sim, stopOverlap }) => ({ name, exact, commonPrefix, similarity: sim, stopOverlap }));
  const score = best.exact ? 1 : jinja.text.length === 0 ? 0 : best.commonPrefix / jinja.text.length;
  const sample = jinja.withSystem ? 'sample with a system message' : 'sample without a system message (the template rejects one)';
  const tied = contenders.filter(
    (c) => c !== best && c.exact === best.exact && c.commonPrefix === best.commonPrefix && c.similarity === best.similarity,
  );
  let tieNote = '';
  if (tied.length > 0 && runnerUp) {
    const decidedBy =
      runnerUp.stopOverlap !== best.stopOverlap
        ? "its stop tokens match more of the checkpoint's EOS ids"
        : "MLC's registration order";
    tieNote = `; ${tied.map((t) => t.name).join(', ')} render${tied.length === 1 ? 's' : ''} identically (chosen over ${runnerUp.name} because ${decidedBy})`;
  }
  const reason = best.exact
    ? `renders the checkpoint's chat_template exactly on the ${sample}${tieNote}`
    : `closest match, not exact: the first ${best.commonPrefix} of ${jinja.text.length} characters agree ` +
      `(similarity ${best.similarity.toFixed(3)}) on the ${sample}${tieNote}; check with \`nx-mlc template-check\``;
  return { name: best.name, exact: best.exact, score, reason, ranking };
}

function readEosIds(file: string): number[] {
  if (!fs.existsSync(file)) return [];
  try {
    const value = (JSON.parse(fs.readFileSync(file, 'utf8')) as { eos_token_id?: unknown }).eos_token_id;
    const ids = Array.isArray(value) ? value : [value];
    return ids.filter((id): id is number => Number.isInteger(id));
  } catch {
    return []; // only a tie-breaker: a broken file is reported by the stages that really read it
  }
}

/**
 * `chooseConvTemplate` for a checkpoint directory: the chat template is looked up like transformers
 * does (chat_template.jinja, tokenizer_config.json, chat_template.json) and EOS ids come from
 * generation_config.json, else config.json.
 */
export function chooseConvTemplateForDir(dir: string): ConvTemplateChoice & { chatTemplateOrigin: string | null } {
  const config = readTokenizerConfig(dir);
  const source = readChatTemplate(dir, config);
  const eos = readEosIds(path.join(dir, 'generation_config.json'));
  const choice = chooseConvTemplate(config, {
    chatTemplate: source?.text ?? null,
    eosTokenIds: eos.length > 0 ? eos : readEosIds(path.join(dir, 'config.json')),
  });
  return { ...choice, chatTemplateOrigin: source?.origin ?? null };
}
