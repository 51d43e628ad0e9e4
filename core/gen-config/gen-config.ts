import * as fs from 'node:fs';
import * as path from 'node:path';
import { readGenerationConfig, readHfConfig } from '../hf/config';
import { getArch } from '../arch/registry';
import { ModelConfigOverrides, deriveModelConfig } from '../arch/model-config';
import { getConvTemplate } from '../chat/registry';
import { chooseConvTemplateForDir } from '../chat/auto-select';
import { NxMlcError } from '../support/errors';
import { copyFileAtomic, writeFileAtomic } from '../support/atomic';
import { PyFloat, PyObject, PyValue, dumpPyJson, pyNumber } from '../support/pyjson';
import { detectTokenizerInfo, duplicateAddedToken, tokenizerLength } from './tokenizer-info';
import { assertQuantizationName } from './quantization-names';

/** MLC's tokenizer files, copied in this order when present (spec §2.5). */
export const TOKENIZER_FILES = ['tokenizer.model', 'tokenizer.json', 'vocab.json', 'merges.txt', 'added_tokens.json', 'tokenizer_config.json'];

/** Values MLC fills in for sampling and special tokens that neither generation_config.json nor config.json set. */
const SYSTEM_DEFAULTS: [string, PyValue][] = [
  ['pad_token_id', 0],
  ['bos_token_id', 1],
  ['eos_token_id', 2],
  ['temperature', new PyFloat(1.0)],
  ['presence_penalty', new PyFloat(0.0)],
  ['frequency_penalty', new PyFloat(0.0)],
  ['repetition_penalty', new PyFloat(1.0)],
  ['top_p', new PyFloat(1.0)],
];

/** Keys of mlc-chat-config that generation_config.json / config.json may fill when still unset (MLC step 2). */
const FILLABLE = ['temperature', 'presence_penalty', 'frequency_penalty', 'repetition_penalty', 'top_p', 'pad_token_id', 'bos_token_id', 'eos_token_id', 'embedding_metadata'];

export interface GenConfigOptions {
  /** Hugging Face checkpoint directory (or the path of its config.json). */
  source: string;
  quantization: string;
  /** A registered MLC conversation template name, or `auto` to pick the one matching the checkpoint's chat_template. */
  convTemplate: string;
  output: string;
  overrides?: ModelConfigOverrides;
  /** Force an architecture instead of config.json's model_type. */
  modelType?: string;
}

export interface GenConfigResult {
  configPath: string;
  /** The template used (the chosen one when `auto` was asked for). */
  convTemplate: string;
  modelType: string;
  tokenizerFiles: string[];
  warnings: string[];
  chatConfig: PyObject;
}

/**
 * `mlc_llm gen_config`: write OUT/mlc-chat-config.json (byte-identical to MLC-LLM's) and copy the tokenizer files.
 * Tokenizer files are copied first and the config is written last, each atomically, so a config on disk always
 * comes with its tokenizer.
 */
export function genConfig(opts: GenConfigOptions): GenConfigResult {
  const dir = opts.source.endsWith('config.json') ? path.dirname(opts.source) : opts.source;
  assertQuantizationName(opts.quantization);
  const hf = readHfConfig(dir);
  const arch = getArch(opts.modelType ?? hf.modelType, hf.file);
  const warnings: string[] = [];
  let templateName = opts.convTemplate;
  if (templateName === 'auto') {
    const choice = chooseConvTemplateForDir(dir);
    templateName = choice.name;
    warnings.push(`--conv-template auto chose "${choice.name}": ${choice.reason}${choice.exact ? '' : ' (not an exact match: check it with `nx-mlc template-check`)'}`);
  }
  const conversation = getConvTemplate(templateName);
  const overrides: ModelConfigOverrides = { max_batch_size: 128, ...(opts.overrides ?? {}) };
  const { modelConfig, ignoredOverrides } = deriveModelConfig(arch, hf.raw, overrides, hf.file);
  for (const key of ignoredOverrides) warnings.push(`${arch.config.className} has no field "${key}": the --${key.replace(/_/g, '-')} override is ignored (as MLC-LLM does).`);

  const field = (k: string, fallback: PyValue): PyValue => (k in modelConfig ? modelConfig[k] : fallback);
  const chat: PyObject = {
    version: '0.1.0',
    model_type: arch.modelType,
    quantization: opts.quantization,
    model_config: modelConfig,
    vocab_size: modelConfig.vocab_size,
    context_window_size: field('context_window_size', -1),
    sliding_window_size: field('sliding_window_size', -1),
    prefill_chunk_size: modelConfig.prefill_chunk_size,
    attention_sink_size: field('attention_sink_size', -1),
    tensor_parallel_shards: modelConfig.tensor_parallel_shards,
    pipeline_parallel_stages: field('pipeline_parallel_stages', 1),
    active_vocab_size: field('active_vocab_size', modelConfig.vocab_size),
    temperature: null,
    presence_penalty: null,
    frequency_penalty: null,
    repetition_penalty: null,
    top_p: null,
    tokenizer_files: [],
    tokenizer_info: {},
    conv_template: conversation as unknown as PyObject,
    pad_token_id: null,
    bos_token_id: null,
    eos_token_id: null,
    model_task: 'chat',
    embedding_metadata: null,
  };

  // Step 2: generation_config.json, then config.json, fill what is still unset (first file wins, raw values).
  const sources = [readGenerationConfig(dir), hf.raw];
  for (const src of sources) {
    if (!src) continue;
    for (const key of FILLABLE) {
      if (key in src && chat[key] === null) chat[key] = src[key];
    }
  }

  // Step 3: tokenizer files.
  fs.mkdirSync(opts.output, { recursive: true });
  const tokenizerFiles: string[] = [];
  for (const name of TOKENIZER_FILES) {
    const src = path.join(dir, name);
    if (fs.existsSync(src)) {
      copyFileAtomic(src, path.join(opts.output, name));
      tokenizerFiles.push(name);
    }
  }
  chat.tokenizer_files = tokenizerFiles;
  if (fs.existsSync(path.join(dir, 'tokenizer.model')) && !fs.existsSync(path.join(dir, 'tokenizer.json'))) {
    warnings.push('The checkpoint has tokenizer.model but no tokenizer.json. MLC-LLM would convert it with Python transformers; nx-mlc keeps tokenizer.model (MLC runtimes and WebLLM read it directly).');
  }
  const outTokenizer = readTokenizerJson(path.join(opts.output, 'tokenizer.json'));
  chat.tokenizer_info = detectTokenizerInfo(outTokenizer) as unknown as PyObject;
  const srcTokenizerPath = path.join(dir, 'tokenizer.json');
  const srcTokenizer = readTokenizerJson(srcTokenizerPath);
  if (srcTokenizer) {
    const dup = duplicateAddedToken(srcTokenizer);
    if (dup !== undefined) {
      throw new NxMlcError(`tokenizer.json has the added token ${JSON.stringify(dup)} twice, which breaks tokenization at runtime`, {
        file: srcTokenizerPath,
        field: 'added_tokens',
        fix: 'Remove the duplicated entry from "added_tokens" in tokenizer.json (a known mistake of some releases).',
      });
    }
  }

  // Step 4: system defaults.
  for (const [key, value] of SYSTEM_DEFAULTS) if (chat[key] === null) chat[key] = value;

  // Step 5: active vocabulary = len(HF tokenizer).
  if (srcTokenizer) {
    const n = tokenizerLength(srcTokenizer);
    if (n !== undefined) chat.active_vocab_size = n;
  }
  if (pyNumber(chat.active_vocab_size)! > pyNumber(chat.vocab_size)!) {
    warnings.push(`The tokenizer has ${String(chat.active_vocab_size)} tokens but vocab_size is ${String(chat.vocab_size)}: tokens beyond vocab_size cannot be produced.`);
  }

  const configPath = path.join(opts.output, 'mlc-chat-config.json');
  writeFileAtomic(configPath, dumpPyJson(chat, 2));
  return { configPath, convTemplate: templateName, modelType: arch.modelType, tokenizerFiles, warnings, chatConfig: chat };
}

function readTokenizerJson(file: string): PyObject | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as PyObject;
  } catch (e) {
    throw new NxMlcError(`tokenizer.json is not valid JSON: ${(e as Error).message}`, { file, fix: 'Download tokenizer.json again.' });
  }
}
