import { PyObject, PyValue } from '../support/pyjson';

/**
 * MLC's `DetectTokenizerInfo` (cpp/tokenizers): how a runtime must post-process token strings, detected from
 * the decoder and normalizer of tokenizer.json. Spec §2.5.
 */
export interface TokenizerInfo {
  token_postproc_method: 'byte_fallback' | 'byte_level';
  prepend_space_in_encode: boolean;
  strip_space_in_decode: boolean;
}

export const DEFAULT_TOKENIZER_INFO: TokenizerInfo = {
  token_postproc_method: 'byte_fallback',
  prepend_space_in_encode: false,
  strip_space_in_decode: false,
};

function isObj(v: PyValue | undefined): v is PyObject {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

export function detectTokenizerInfo(tokenizerJson: PyObject | undefined): TokenizerInfo {
  if (!tokenizerJson) return { ...DEFAULT_TOKENIZER_INFO };
  const info: TokenizerInfo = { ...DEFAULT_TOKENIZER_INFO };
  const decoder = tokenizerJson.decoder;
  if (isObj(decoder)) {
    const decoders = decoder.type === 'Sequence' && Array.isArray(decoder.decoders) ? decoder.decoders : [decoder];
    let method: TokenizerInfo['token_postproc_method'] | undefined;
    for (const d of decoders) {
      if (!isObj(d)) continue;
      if (d.type === 'ByteLevel') method = 'byte_level';
      else if (d.type === 'ByteFallback') method = 'byte_fallback';
    }
    info.token_postproc_method = method ?? 'byte_fallback';
    info.strip_space_in_decode = decoders.some(
      (d) => isObj(d) && d.type === 'Strip' && d.content === ' ' && Number(d.start) === 1 && Number(d.stop) === 0,
    );
  }
  const normalizer = tokenizerJson.normalizer;
  if (isObj(normalizer)) {
    const list = normalizer.type === 'Sequence' && Array.isArray(normalizer.normalizers) ? normalizer.normalizers : [normalizer];
    info.prepend_space_in_encode = list.some((n) => isObj(n) && n.type === 'Prepend' && n.prepend === '\u2581');
  }
  return info;
}

/**
 * `len(AutoTokenizer)` as transformers computes it for a fast tokenizer: the number of distinct token strings in
 * the model vocabulary and the added tokens together. Undefined when the file has no recognisable vocabulary.
 */
export function tokenizerLength(tokenizerJson: PyObject): number | undefined {
  const model = tokenizerJson.model;
  if (!isObj(model)) return undefined;
  const tokens = new Set<string>();
  const vocab = model.vocab;
  if (Array.isArray(vocab)) {
    for (const entry of vocab) if (Array.isArray(entry) && typeof entry[0] === 'string') tokens.add(entry[0]);
  } else if (isObj(vocab)) {
    for (const k of Object.keys(vocab)) tokens.add(k);
  } else return undefined;
  if (Array.isArray(tokenizerJson.added_tokens)) {
    for (const t of tokenizerJson.added_tokens) if (isObj(t) && typeof t.content === 'string') tokens.add(t.content);
  }
  return tokens.size;
}

/** The first `added_tokens` content that appears twice (MLC refuses such tokenizers), if any. */
export function duplicateAddedToken(tokenizerJson: PyObject): string | undefined {
  const seen = new Set<string>();
  if (!Array.isArray(tokenizerJson.added_tokens)) return undefined;
  for (const t of tokenizerJson.added_tokens) {
    if (!isObj(t) || typeof t.content !== 'string') continue;
    if (seen.has(t.content)) return t.content;
    seen.add(t.content);
  }
  return undefined;
}
