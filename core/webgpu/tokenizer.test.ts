/**
 * The page's tokenizer (browser-safe twin of core/runtime/tokenizer.ts) on the demo model: the reference
 * prompt ids, the README's continuation text, UTF-8-safe streaming, and byte-for-byte the same token
 * table as the runtime's (so the page streams exactly what `nx-mlc chat` prints).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WebTokenizer, tokenBytes } from './tokenizer';
import { loadTokenizer, tokenToBytes } from '../runtime/tokenizer';
import { readInt64Tensor } from '../runtime/test-support/reference';

const DEMO = path.resolve(__dirname, '../../examples/pycode-6m');
const info = { token_postproc_method: 'byte_level' as const, prepend_space_in_encode: false, strip_space_in_decode: false };
const json = JSON.parse(fs.readFileSync(path.join(DEMO, 'tokenizer.json'), 'utf8'));
const cfg = JSON.parse(fs.readFileSync(path.join(DEMO, 'tokenizer_config.json'), 'utf8'));
const expected = path.join(DEMO, 'expected.safetensors');

describe('WebTokenizer', () => {
  const tok = new WebTokenizer(json, cfg, info, 4096);

  it('encodes the demo prompt to the reference ids and decodes the reference continuation to the README text', () => {
    expect(tok.encode('def fibonacci(n):\n    """Return the n-th Fibonacci number."""')).toEqual(readInt64Tensor(expected, 'input_ids'));
    expect(tok.decode(readInt64Tensor(expected, 'greedy'))).toBe(
      '\n    return n.bit_length()\n\n\ndef fibonacci_number(n):\n    """Return the number of fibonacci numbers in the n-th Fibonacci\n    number.\n\n    Examples',
    );
  });

  it('streams whole characters only', () => {
    const text = 'π ≈ 3.14 # ünïcödé 🙂 done';
    const s = tok.streamer();
    const pieces = tok.encode(text).map((id) => s.put(id));
    expect(pieces.join('') + s.finish()).toBe(text);
    expect(pieces.some((p) => p === '')).toBe(true);
    expect(pieces.every((p) => !p.includes('\uFFFD'))).toBe(true);
  });

  it('has the runtime tokenizer\'s token table, id for id', () => {
    const runtime = loadTokenizer(DEMO, info, 4096);
    for (let id = 0; id < 4096; id++) expect(Buffer.from(tok.bytesOf(id)).equals(Buffer.from(runtime.tokenBytes(id)))).toBe(true);
  });

  it('byte_fallback and strip_space_in_decode follow MLC', () => {
    expect(Array.from(tokenBytes('<0xE2>', 'byte_fallback'))).toEqual([0xe2]);
    expect(Buffer.from(tokenBytes('\u2581Hello\u2581world', 'byte_fallback')).toString()).toBe(' Hello world');
    for (const t of ['<0x0A>', '\u2581def', 'x\u2581y', '<s>']) expect(Array.from(tokenBytes(t, 'byte_fallback'))).toEqual(Array.from(tokenToBytes(t, 'byte_fallback')));
    const strip = new WebTokenizer(json, cfg, { ...info, strip_space_in_decode: true }, 4096);
    const ids = strip.encode(' x = 1');
    expect(strip.decode(ids)).toBe('x = 1');
  });
});
