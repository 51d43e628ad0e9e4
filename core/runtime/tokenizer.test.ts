import * as path from 'node:path';
import { loadTokenizer, tokenToBytes } from './tokenizer';
import { readInt64Tensor } from './test-support/reference';

const DEMO = path.resolve(__dirname, '../../examples/pycode-6m');
const byteLevel = { token_postproc_method: 'byte_level' as const, prepend_space_in_encode: false, strip_space_in_decode: false };

describe('RuntimeTokenizer on the demo model (byte-level BPE)', () => {
  const tok = loadTokenizer(DEMO, byteLevel, 4096);
  const expected = path.join(DEMO, 'expected.safetensors');

  it('encodes the demo prompt to the reference input_ids', () => {
    const prompt = 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""';
    expect(tok.encode(prompt)).toEqual(readInt64Tensor(expected, 'input_ids'));
  });

  it('decodes the reference greedy continuation to the text in the demo README', () => {
    expect(tok.decode(readInt64Tensor(expected, 'greedy'))).toBe(
      '\n    return n.bit_length()\n\n\ndef fibonacci_number(n):\n    """Return the number of fibonacci numbers in the n-th Fibonacci\n    number.\n\n    Examples',
    );
  });

  it('streams only complete UTF-8 characters', () => {
    const text = 'π ≈ 3.14 # ünïcödé 🙂 done';
    const ids = tok.encode(text);
    const s = tok.streamer();
    const pieces = ids.map((id) => s.put(id));
    expect(pieces.join('') + s.finish()).toBe(text);
    expect(pieces.every((p) => !p.includes('\uFFFD'))).toBe(true);
    // The 4-byte emoji is split over byte tokens in this 4k vocabulary: some puts must hold text back.
    expect(pieces.some((p) => p === '')).toBe(true);
  });

  it('maps the special token to its text', () => {
    expect(tok.decode([0])).toBe('<|endoftext|>');
  });
});

describe('tokenToBytes', () => {
  it('byte_fallback: <0xNN> tokens are single bytes and ▁ is a space', () => {
    expect(Array.from(tokenToBytes('<0xE2>', 'byte_fallback'))).toEqual([0xe2]);
    expect(Buffer.from(tokenToBytes('\u2581Hello\u2581world', 'byte_fallback')).toString()).toBe(' Hello world');
  });
  it('byte_level: GPT-2 chars map back to bytes (Ġ = space, Ċ = newline)', () => {
    expect(Array.from(tokenToBytes('\u0120a\u010a', 'byte_level'))).toEqual([0x20, 0x61, 0x0a]);
  });
});

it('strip_space_in_decode drops the leading space of the first text only', () => {
  const tok = loadTokenizer(DEMO, { ...byteLevel, strip_space_in_decode: true }, 4096);
  const ids = tok.encode(' a b');
  expect(tok.decode(ids)).toBe('a b');
});

it('a directory without tokenizer.json is a clear error', () => {
  expect(() => loadTokenizer(__dirname, byteLevel, 10)).toThrow(/no tokenizer.json/);
});
