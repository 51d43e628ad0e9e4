/**
 * The page's tokenizer is the runtime's (core/runtime/token-table.ts, browser-safe): encode through tokenizer.json,
 * decode through MLC's token table, streamed at complete UTF-8 characters. This file only adapts the constructor to
 * what the page has in hand (parsed JSON documents).
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { RuntimeTokenizer, tokenToBytes } from '../runtime/token-table';
import type { TokenizerInfo } from '../runtime/chat-config';

export type TokenizerInfoLike = Pick<TokenizerInfo, 'token_postproc_method' | 'strip_space_in_decode'>;

export const tokenBytes = tokenToBytes;

export class WebTokenizer extends RuntimeTokenizer {
  constructor(tokenizerJson: object, tokenizerConfig: object, info: TokenizerInfoLike, vocabSize: number) {
    // only the decode-side fields matter here; prepend_space_in_encode is informational (see token-table.ts)
    super(new Tokenizer(tokenizerJson as never, tokenizerConfig as never), { prepend_space_in_encode: false, ...info }, vocabSize);
  }

  bytesOf(id: number): Uint8Array {
    return this.tokenBytes(id);
  }
}
