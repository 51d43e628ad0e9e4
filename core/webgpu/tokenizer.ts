/**
 * A browser-safe twin of core/runtime/tokenizer.ts (which reads files and uses Buffer): encode through
 * tokenizer.json (@huggingface/tokenizers), decode through MLC's token table (`tokenizer_info`:
 * byte_level = GPT-2's unicode->byte map, byte_fallback = `<0xAB>` bytes and U+2581 -> space), streamed at
 * complete UTF-8 characters. Same semantics; the two should merge once the runtime's copy drops its Node
 * imports (reported to the lead).
 */
import { Tokenizer } from '@huggingface/tokenizers';

export interface TokenizerInfoLike {
  token_postproc_method: 'byte_level' | 'byte_fallback';
  strip_space_in_decode: boolean;
}

const utf8 = new TextEncoder();

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
const BYTE_LEVEL = byteLevelDecodeMap();
const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

export function tokenBytes(token: string, method: TokenizerInfoLike['token_postproc_method']): Uint8Array {
  if (method === 'byte_level') {
    const out: number[] = [];
    for (const ch of token) {
      const b = BYTE_LEVEL.get(ch);
      if (b !== undefined) out.push(b);
      else out.push(...utf8.encode(ch)); // an added token's own characters
    }
    return Uint8Array.from(out);
  }
  const m = BYTE_TOKEN.exec(token);
  if (m) return Uint8Array.of(parseInt(m[1], 16));
  return utf8.encode(token.replace(/\u2581/g, ' '));
}

export class WebTokenizer {
  private readonly hf: Tokenizer;
  private readonly table: Uint8Array[] = [];

  constructor(tokenizerJson: object, tokenizerConfig: object, readonly info: TokenizerInfoLike, vocabSize: number) {
    this.hf = new Tokenizer(tokenizerJson as never, tokenizerConfig as never);
    for (let id = 0; id < vocabSize; id++) {
      const t = this.hf.id_to_token(id);
      this.table.push(t === undefined ? new Uint8Array(0) : tokenBytes(t, info.token_postproc_method));
    }
  }

  /** Token ids of text, without special tokens (BOS comes from the template, as in MLC). */
  encode(text: string): number[] {
    return this.hf.encode(text, { add_special_tokens: false }).ids;
  }

  streamer(): WebTextStreamer {
    return new WebTextStreamer(this);
  }

  bytesOf(id: number): Uint8Array {
    return this.table[id] ?? new Uint8Array(0);
  }

  decode(ids: readonly number[]): string {
    const s = this.streamer();
    return ids.map((id) => s.put(id)).join('') + s.finish();
  }
}

export class WebTextStreamer {
  private readonly dec = new TextDecoder('utf-8', { fatal: false });
  private started = false;

  constructor(private readonly tok: WebTokenizer) {}

  put(id: number): string {
    return this.strip(this.dec.decode(this.tok.bytesOf(id), { stream: true }));
  }

  finish(): string {
    return this.strip(this.dec.decode());
  }

  private strip(text: string): string {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (this.tok.info.strip_space_in_decode && text.startsWith(' ')) return text.slice(1);
    }
    return text;
  }
}
