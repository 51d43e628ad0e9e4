import { NxMlcError } from '../../support/errors';
import { PyCallable, PyDict, unpickle, UnpickleHooks } from './pickle';

// Opcode bytes below are from CPython's Lib/pickle.py opcode table; expected values follow its semantics.
const where = { file: '/x/data.pkl', field: 'data.pkl' };
const noGlobals: UnpickleHooks = {
  findGlobal: (m, n) => {
    throw new NxMlcError(`refused ${m}.${n}`, where);
  },
  persistentLoad: (pid) => ({ pid }),
};
const run = (bytes: number[] | Buffer, hooks = noGlobals): unknown => unpickle(Buffer.from(bytes), hooks, where);

describe('safe pickle VM', () => {
  it('decodes integers of every width, including negative LONG1 and beyond 2^53 as bigint', () => {
    // LONG1 0xff = -1; LONG1 00 00 00 00 00 00 20 00 = 2^53 (not a safe integer)
    const bytes = [0x80, 2, 0x28, 0x4b, 7, 0x4d, 0x34, 0x12, 0x4a, 0xfe, 0xff, 0xff, 0xff, 0x8a, 1, 0xff, 0x8a, 8, 0, 0, 0, 0, 0, 0, 0x20, 0, 0x74, 0x2e];
    expect(run(bytes)).toEqual([7, 0x1234, -2, -1, 2n ** 53n]);
  });

  it('decodes floats, strings, bytes, None and bools', () => {
    const f = Buffer.alloc(9);
    f[0] = 0x47; // BINFLOAT is big-endian
    f.writeDoubleBE(-0.1, 1);
    const pkl = Buffer.concat([
      Buffer.from([0x80, 2, 0x28]),
      f,
      Buffer.from([0x58, 2, 0, 0, 0, 0xc3, 0xa9]), // BINUNICODE "é"
      Buffer.from([0x43, 2, 0xab, 0xcd]), // SHORT_BINBYTES
      Buffer.from([0x4e, 0x88, 0x89, 0x74, 0x2e]),
    ]);
    expect(run(pkl)).toEqual([-0.1, 'é', Buffer.from([0xab, 0xcd]), null, true, false]);
  });

  it('builds lists and dicts, and resolves memo references to the same object', () => {
    // EMPTY_LIST BINPUT 0, MARK K1 K2 APPENDS, EMPTY_DICT, SHORT_BINUNICODE "a", BINGET 0, SETITEM, TUPLE2 of (list, dict)
    const bytes = [0x80, 2, 0x5d, 0x71, 0, 0x28, 0x4b, 1, 0x4b, 2, 0x65, 0x7d, 0x8c, 1, 0x61, 0x68, 0, 0x73, 0x86, 0x2e];
    const [list, dict] = run(bytes) as [number[], PyDict];
    expect(list).toEqual([1, 2]);
    expect(dict.map.get('a')).toBe(list);
  });

  it('calls only the callables the hooks hand out', () => {
    const hooks: UnpickleHooks = {
      findGlobal: (m, n) => new PyCallable(`${m}.${n}`, (args) => `called ${m}.${n}(${args.join(',')})`),
      persistentLoad: () => null,
    };
    // GLOBAL "m\nf\n", MARK K5 TUPLE, REDUCE
    const pkl = Buffer.concat([Buffer.from([0x80, 2]), Buffer.from('cm\nf\n'), Buffer.from([0x28, 0x4b, 5, 0x74, 0x52, 0x2e])]);
    expect(run(pkl, hooks)).toBe('called m.f(5)');
    expect(() => run(pkl)).toThrow(/refused m\.f/);
    // REDUCE on a value that is not a callable
    expect(() => run([0x80, 2, 0x4b, 1, 0x29, 0x52, 0x2e])).toThrow(/cannot call a number/);
  });

  it('passes persistent ids to the hook', () => {
    expect(run([0x80, 2, 0x8c, 1, 0x6b, 0x51, 0x2e])).toEqual({ pid: 'k' });
  });

  it('rejects malformed pickles with an error naming the file', () => {
    const cases: [number[], RegExp][] = [
      [[0x80, 2, 0x4b], /truncated/], // BININT1 without its byte
      [[0x80, 2, 0x30, 0x2e], /stack underflow/], // POP on an empty stack
      [[0x80, 2, 0x68, 9, 0x2e], /memo key 9/], // BINGET of an unset key
      [[0x80, 2, 0x4e, 0x4e, 0x2e], /exactly one value/], // two values at STOP
      [[0x80, 2, 0x82, 1, 0x2e], /opcode 0x82/], // EXT1 (extension registry) is refused
      [[0x80, 2, 0x4e], /truncated/], // no STOP
    ];
    for (const [bytes, pattern] of cases) {
      let err: unknown;
      try {
        run(bytes);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(NxMlcError);
      expect((err as NxMlcError).message).toMatch(pattern);
      expect((err as NxMlcError).file).toBe(where.file);
    }
  });
});
