import { Tokenizer } from '@huggingface/tokenizers';
import type { TokenizerInfo } from './chat-config';

/**
 * The runtime's tokenizer (browser-safe: no Node APIs, shared by the Node runtime and the WebGPU page): encoding through tokenizer.json (@huggingface/tokenizers), decoding through
 * MLC's token table — every id post-processed once to its raw bytes according to `tokenizer_info`
 * (byte_level: GPT-2's unicode↔byte map; byte_fallback: `<0xAB>` byte tokens and `▁` → space) — so that
 * streamed text is the concatenation of byte strings, cut only at complete UTF-8 characters.
 * `prepend_space_in_encode` needs no action here: gen-config detects it from tokenizer.json's own Prepend
 * normalizer, which the HF tokenizer applies when encoding (MLC's C++ Encode does not add a space either).
 */

/** GPT-2's byte → printable unicode char table (bytes_to_unicode), inverted. */
function byteLevelDecodeMap(): Map<string, number> {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const map = new Map<string, number>();
  bs.forEach((b, i) => map.set(String.fromCodePoint(cs[i]), b));
  return map;
}

const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;
const UTF8 = new TextEncoder();

/** Post-process one token string to the bytes it stands for (MLC's PostProcessToken). */
export function tokenToBytes(token: string, method: TokenizerInfo['token_postproc_method'], byteMap = BYTE_LEVEL_MAP): Uint8Array {
  if (method === 'byte_level') {
    const out: number[] = [];
    for (const ch of token) {
      const b = byteMap.get(ch);
      if (b !== undefined) out.push(b);
      else out.push(...UTF8.encode(ch)); // not a byte-level char (an added token): its own UTF-8
    }
    return Uint8Array.from(out);
  }
  const m = BYTE_TOKEN.exec(token);
  if (m) return Uint8Array.of(parseInt(m[1], 16));
  return UTF8.encode(token.replace(/\u2581/g, ' '));
}

const BYTE_LEVEL_MAP = byteLevelDecodeMap();

export class RuntimeTokenizer {
  private readonly table: Uint8Array[] = [];

  constructor(
    private readonly hf: Tokenizer,
    readonly info: TokenizerInfo,
    readonly vocabSize: number,
  ) {
    for (let id = 0; id < vocabSize; id++) {
      const tok = hf.id_to_token(id);
      this.table.push(tok === undefined ? new Uint8Array(0) : tokenToBytes(tok, info.token_postproc_method));
    }
  }

  /** Token ids of text, without special tokens (BOS comes from the template's system_prefix_token_ids, as in MLC). */
  encode(text: string): number[] {
    return this.hf.encode(text, { add_special_tokens: false }).ids;
  }

  tokenBytes(id: number): Uint8Array {
    return this.table[id] ?? new Uint8Array(0);
  }

  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  /** Whole-sequence decode through the token table (what streaming produces, concatenated). */
  decode(ids: readonly number[]): string {
    const s = this.streamer();
    return ids.map((id) => s.put(id)).join('') + s.finish();
  }

  streamer(): TextStreamer {
    return new TextStreamer(this);
  }
}

/** Incremental detokeniser: put() returns only text made of complete UTF-8 characters. */
export class TextStreamer {
  private readonly utf8 = new TextDecoder('utf-8', { fatal: false });
  private started = false;

  constructor(private readonly tok: RuntimeTokenizer) {}

  put(id: number): string {
    return this.strip(this.utf8.decode(this.tok.tokenBytes(id), { stream: true }));
  }

  /** Flush bytes that never completed a character (they become U+FFFD). */
  finish(): string {
    return this.strip(this.utf8.decode());
  }

  private strip(text: string): string {
    // strip_space_in_decode (Llama-2 style SentencePiece): the leading space of the first text goes.
    if (!this.started && text.length > 0) {
      this.started = true;
      if (this.tok.info.strip_space_in_decode && text.startsWith(' ')) return text.slice(1);
    }
    return text;
  }
}

