import { PyFloat, dumpPyJson, parsePyJson, pyFloatRepr, pyStringRepr } from './pyjson';

describe('Python float repr', () => {
  test.each([
    [1e-5, '1e-05'], [1e-6, '1e-06'], [1.5e-5, '1.5e-05'], [0.0001, '0.0001'], [500000, '500000.0'], [2825584640, '2825584640.0'],
    [0.1, '0.1'], [1 / 3, '0.3333333333333333'], [1e16, '1e+16'], [9999999999999998, '9999999999999998.0'], [1.2345678901234568e17, '1.2345678901234568e+17'],
    [-2.5e-7, '-2.5e-07'], [0, '0.0'], [-0, '-0.0'], [NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity'], [123.456, '123.456'],
  ])('%p → %s', (x, s) => expect(pyFloatRepr(x)).toBe(s));
});

describe('ensure_ascii strings', () => {
  test('non-ASCII, astral and control characters are escaped like json.dumps', () => {
    expect(pyStringRepr('é▁｜😀\u0001\u007f"\\\n\t/')).toBe('"\\u00e9\\u2581\\uff5c\\ud83d\\ude00\\u0001\\u007f\\"\\\\\\n\\t/"');
  });
});

describe('lossless parse and Python-style dump', () => {
  test('ints stay ints, floats stay floats, key order is kept, no trailing newline', () => {
    const text = '{"b": 1.0, "a": [1, 2.5e-05, 1e+16], "c": {}, "d": [], "e": 12345678901234567890, "f": null, "g": true}';
    const v = parsePyJson(text);
    expect(dumpPyJson(v, 2)).toBe('{\n  "b": 1.0,\n  "a": [\n    1,\n    2.5e-05,\n    1e+16\n  ],\n  "c": {},\n  "d": [],\n  "e": 12345678901234567890,\n  "f": null,\n  "g": true\n}');
    expect((v as Record<string, unknown>).b).toBeInstanceOf(PyFloat);
  });
  test('escapes decode; bad JSON says where', () => {
    expect(parsePyJson('"\\u2581x\\n"')).toBe('\u2581x\n');
    expect(() => parsePyJson('{"a": 1,}')).toThrow(/line 1/);
    expect(() => parsePyJson('[1] x')).toThrow(/trailing/);
  });
});
