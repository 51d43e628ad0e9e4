import { writeFileAtomic } from '../support/atomic';
import { NxMlcError } from '../support/errors';
import { Session, tokensPerSecond } from './generate';
import { openModel, OpenModel } from './open-model';
import { promptTokens } from './prompt';
import { readReference, ReferenceOutputs } from './reference';
import { argmax } from './sampler';
import { defaultTolerance, Tolerance } from './tolerance';

/**
 * `nx-mlc validate`: check that library, config and weights agree, run a prompt (raw text unless
 * `template` is asked for: the demo model is a base model), and with a reference compare logits and
 * greedy tokens against transformers' outputs. Greedy decoding throughout, so a report is reproducible.
 */

export interface ValidateOptions {
  modelDir: string;
  modelLib: string;
  device: string;
  prompt?: string;
  maxTokens?: number;
  /** safetensors with input_ids / logits / greedy (fixtures/hf-tiny/<arch>/expected.safetensors). */
  reference?: string;
  /** Where to write the JSON report (atomically). */
  json?: string;
  /** Overrides the quantization's default max-abs-logit-error. */
  tolerance?: number;
  /** Wrap the prompt in the conversation template (system prefix ids, roles, stop strings). */
  template?: boolean;
  numThreads?: number;
  /** Streams the prompt's generated text. */
  onText?: (text: string) => void;
}

export interface ReferenceReport {
  max_abs_logit_error: number;
  argmax_agreement: number;
  greedy_match: boolean;
  greedy_tokens: number[];
}

export interface ValidateReport {
  ok: boolean;
  model_type: string;
  quantization: string;
  device: string;
  reference: ReferenceReport | null;
  decode_tok_s: number;
  prefill_tok_s: number;
}

export interface ValidateResult {
  report: ValidateReport;
  /** The prompt and its generated text (null when no prompt ran). */
  prompt: string | null;
  text: string | null;
  tolerance: Tolerance;
}

export const DEFAULT_VALIDATE_PROMPT = 'Hello, my name is';
export const DEFAULT_MAX_TOKENS = 32;

const SUPPORTED_DEVICES = new Set(['cpu']);

export async function validate(opts: ValidateOptions): Promise<ValidateResult> {
  if (!SUPPORTED_DEVICES.has(opts.device)) {
    throw new NxMlcError(`The runtime cannot run device ${JSON.stringify(opts.device)} here`, {
      field: 'device',
      fix: 'Use --device cpu (other targets are compiled and packaged, and validated on their own hardware).',
    });
  }
  const reference = opts.reference ? readReference(opts.reference) : null;
  // A reference-only check needs no tokenizer (hf-tiny fixtures have none).
  const runPrompt = opts.prompt !== undefined || !reference;
  const model = openModel({ modelDir: opts.modelDir, modelLib: opts.modelLib, numThreads: opts.numThreads, tokenizer: runPrompt });
  try {
    if (model.library.metadata.target !== opts.device) {
      throw new NxMlcError(`The library was compiled for ${model.library.metadata.target}, not ${opts.device}`, {
        file: opts.modelLib,
        field: 'target',
        fix: `Compile for ${opts.device} (nx-mlc compile --device ${opts.device}) or pass --device ${model.library.metadata.target}.`,
      });
    }
    const tolerance = defaultTolerance(model.config.quantization);
    if (opts.tolerance !== undefined) tolerance.maxAbsLogitError = opts.tolerance;
    const session = new Session(model);

    let refReport: ReferenceReport | null = null;
    let prefillTokS = 0;
    let decodeTokS = 0;
    if (reference) {
      const r = compareWithReference(session, model, reference);
      refReport = r.report;
      prefillTokS = r.prefillTokS;
      decodeTokS = r.decodeTokS;
    }
    let prompt: string | null = null;
    let text: string | null = null;
    if (runPrompt) {
      session.reset();
      prompt = opts.prompt ?? DEFAULT_VALIDATE_PROMPT;
      const run = await runValidatePrompt(session, model, prompt, opts);
      text = run.text;
      prefillTokS = run.prefillTokS;
      decodeTokS = run.decodeTokS;
    }
    const ok =
      refReport === null ||
      (refReport.max_abs_logit_error <= tolerance.maxAbsLogitError &&
        refReport.argmax_agreement >= tolerance.minArgmaxAgreement &&
        (!tolerance.requireGreedyMatch || refReport.greedy_match));
    const report: ValidateReport = {
      ok,
      model_type: model.config.model_type,
      quantization: model.config.quantization,
      device: opts.device,
      reference: refReport,
      decode_tok_s: decodeTokS,
      prefill_tok_s: prefillTokS,
    };
    if (opts.json) writeFileAtomic(opts.json, `${JSON.stringify(report, null, 2)}\n`);
    return { report, prompt, text, tolerance };
  } finally {
    model.close();
  }
}

async function runValidatePrompt(session: Session, model: OpenModel, prompt: string, opts: ValidateOptions) {
  const tok = model.tokenizer!;
  const conv = model.config.conv_template;
  let tokens: number[];
  let stopTokenIds = model.config.eos_token_id;
  let stopStrings: string[] = [];
  if (opts.template) {
    if (!conv) {
      throw new NxMlcError('mlc-chat-config.json has no conv_template', { file: model.config.file, field: 'conv_template', fix: 'Re-run gen-config with --conv-template.' });
    }
    tokens = promptTokens(conv, [['user', prompt], ['assistant', null]], (t) => tok.encode(t));
    stopTokenIds = [...conv.stop_token_ids, ...model.config.eos_token_id];
    stopStrings = conv.stop_str;
  } else {
    tokens = tok.encode(prompt);
  }
  if (tokens.length === 0) throw new NxMlcError('The prompt encodes to no tokens', { field: 'prompt', fix: 'Pass a non-empty --prompt.' });
  return session.generate({
    promptTokens: tokens,
    maxTokens: opts.maxTokens ?? DEFAULT_MAX_TOKENS,
    sampling: { temperature: 0, top_p: 1, repetition_penalty: 1, presence_penalty: 0, frequency_penalty: 0 },
    stopTokenIds,
    stopStrings,
    onText: opts.onText,
  });
}

function compareWithReference(session: Session, model: OpenModel, ref: ReferenceOutputs) {
  const V = model.instance.vocabSize;
  if (ref.vocabSize !== V) {
    throw new NxMlcError(`The reference logits have vocabulary ${ref.vocabSize} but the library has ${V}`, {
      file: ref.file,
      field: 'logits',
      fix: 'Use the reference produced from the same checkpoint as these weights.',
    });
  }
  const bad = ref.inputIds.find((t) => t < 0 || t >= V);
  if (bad !== undefined) {
    throw new NxMlcError(`Reference input id ${bad} is outside the vocabulary (${V})`, { file: ref.file, field: 'input_ids', fix: 'Use a reference made for this model.' });
  }
  const T = ref.inputIds.length;
  const N = ref.greedy?.length ?? 0;
  const ctx = model.contextWindowSize;
  if (ctx > 0 && T + N > ctx) {
    throw new NxMlcError(`The reference needs ${T + N} positions but the context window holds ${ctx}`, {
      file: ref.file,
      fix: 'Use a shorter reference or a model compiled with a larger context window.',
    });
  }
  session.reset();
  const t0 = process.hrtime.bigint();
  const logits = session.prefill(ref.inputIds, true);
  const prefillSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

  const active = model.activeVocabSize;
  let maxAbs = 0;
  let agree = 0;
  for (let t = 0; t < T; t++) {
    const ours = logits.subarray(t * V, (t + 1) * V);
    const theirs = ref.logits.subarray(t * V, (t + 1) * V);
    for (let j = 0; j < V; j++) {
      const d = Math.abs(ours[j] - theirs[j]);
      // NaN must fail the check, and Math.max would propagate it silently only sometimes.
      maxAbs = Number.isNaN(d) ? Infinity : Math.max(maxAbs, d);
    }
    if (argmax(ours, active) === argmax(theirs, active)) agree++;
  }

  const greedy: number[] = [];
  let decodeSeconds = 0;
  let last = logits.subarray((T - 1) * V, T * V);
  for (let i = 0; i < N; i++) {
    const next = argmax(last, active);
    greedy.push(next);
    if (i + 1 < N) {
      const t1 = process.hrtime.bigint();
      last = session.decode(next);
      decodeSeconds += Number(process.hrtime.bigint() - t1) / 1e9;
    }
  }
  return {
    report: {
      max_abs_logit_error: maxAbs,
      argmax_agreement: T ? agree / T : 0,
      greedy_match: ref.greedy !== null && greedy.every((t, i) => t === ref.greedy![i]),
      greedy_tokens: greedy,
    },
    prefillTokS: tokensPerSecond(T, prefillSeconds),
    decodeTokS: tokensPerSecond(Math.max(0, N - 1), decodeSeconds),
  };
}

/** Terminal rendering of a validate result. */
export function formatValidateReport(report: ValidateReport, extra: { prompt?: string | null; text?: string | null; tolerance?: Tolerance } = {}): string {
  const lines: string[] = [];
  lines.push(`${report.ok ? 'PASS' : 'FAIL'}  ${report.model_type} ${report.quantization} on ${report.device}`);
  if (report.reference) {
    const r = report.reference;
    const tol = extra.tolerance;
    lines.push(`  max |logit error|   ${r.max_abs_logit_error.toExponential(3)}${tol ? `  (tolerance ${tol.maxAbsLogitError})` : ''}`);
    lines.push(`  argmax agreement    ${(r.argmax_agreement * 100).toFixed(1)} %${tol ? `  (needs ≥ ${(tol.minArgmaxAgreement * 100).toFixed(0)} %)` : ''}`);
    lines.push(`  greedy tokens       ${r.greedy_match ? 'match' : 'differ'}${tol && !tol.requireGreedyMatch ? ' (informational)' : ''}: [${r.greedy_tokens.join(', ')}]`);
  }
  if (extra.prompt != null) {
    lines.push(`  prompt              ${JSON.stringify(extra.prompt)}`);
    // null when the caller already streamed the text to the terminal.
    if (extra.text != null) lines.push(`  output              ${JSON.stringify(extra.text)}`);
  }
  lines.push(`  prefill             ${report.prefill_tok_s.toFixed(1)} tok/s`);
  lines.push(`  decode              ${report.decode_tok_s.toFixed(1)} tok/s`);
  return lines.join('\n');
}
