import { NxMlcError } from '../../support/errors';

/**
 * A minimal, safe pickle interpreter. It understands the data opcodes of protocols 0-5 (numbers,
 * strings, tuples, lists, dicts, memo, marks) and nothing executes unless the caller allows it:
 * every GLOBAL / STACK_GLOBAL goes through `findGlobal`, which returns a value for the handful of
 * names a torch state dict uses and throws for anything else; REDUCE / NEWOBJ only call `PyCallable`s
 * that `findGlobal` handed out. Opcodes that can only build arbitrary objects (INST, OBJ, EXT*,
 * out-of-band buffers) are refused.
 *
 * Python values map to: None → null, bool → boolean, int → number (bigint beyond 2^53), float →
 * number, str → string, bytes → Buffer, tuple and list → array, dict → PyDict, anything else → the
 * objects the hooks return.
 */

export class PyDict {
  readonly map = new Map<unknown, unknown>();
  /** Instance attributes set by BUILD (e.g. a state dict's `_metadata`); kept, never interpreted. */
  attributes?: unknown;
}

/** A Python callable the caller chose to expose (a class or a function from its allowlist). */
export class PyCallable {
  constructor(
    readonly qualifiedName: string,
    readonly call: (args: unknown[]) => unknown,
  ) {}
}

export interface UnpickleHooks {
  /** The value of `module.name`, or a thrown NxMlcError if it is not allowed. */
  findGlobal(module: string, name: string): unknown;
  /** Resolve a persistent id (torch: ('storage', type, key, location, numel)). */
  persistentLoad(pid: unknown): unknown;
}

export function unpickle(data: Buffer, hooks: UnpickleHooks, where: { file: string; field: string }): unknown {
  const fail = (what: string, fix = 'The checkpoint is corrupt: download it again, or re-save it with torch.save.'): never => {
    throw new NxMlcError(`Cannot read the pickle: ${what}`, { ...where, fix });
  };
  let pos = 0;
  const need = (n: number): void => {
    if (pos + n > data.length) fail(`truncated at byte ${pos} (needs ${n} more)`);
  };
  const u8 = (): number => (need(1), data[pos++]);
  const u16 = (): number => (need(2), (pos += 2), data.readUInt16LE(pos - 2));
  const u32 = (): number => (need(4), (pos += 4), data.readUInt32LE(pos - 4));
  const i32 = (): number => (need(4), (pos += 4), data.readInt32LE(pos - 4));
  const u64 = (): number => {
    need(8);
    const v = data.readBigUInt64LE(pos);
    pos += 8;
    if (v > BigInt(data.length)) fail(`length ${v} exceeds the pickle size`);
    return Number(v);
  };
  const bytes = (n: number): Buffer => (need(n), (pos += n), data.subarray(pos - n, pos));
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail(`unterminated text argument at byte ${pos}`);
    const s = data.toString('latin1', pos, end);
    pos = end + 1;
    return s;
  };

  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  const pop = (): unknown => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) fail(`stack underflow at byte ${pos}`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail(`stack underflow at byte ${pos}`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail(`missing MARK at byte ${pos}`);
    return stack.splice(m!);
  };
  const getMemo = (k: number): unknown => {
    if (!memo.has(k)) fail(`memo key ${k} used before it was set`);
    return memo.get(k);
  };
  const dictOf = (v: unknown): PyDict => (v instanceof PyDict ? v : fail(`SETITEM on a ${describe(v)}`));
  const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : fail(`APPEND on a ${describe(v)}`));
  const call = (fn: unknown, args: unknown): unknown => {
    if (!(fn instanceof PyCallable)) fail(`cannot call a ${describe(fn)}`);
    if (!Array.isArray(args)) fail(`call arguments are a ${describe(args)}, not a tuple`);
    return (fn as PyCallable).call(args as unknown[]);
  };
  const int = (v: bigint): number | bigint => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
  const longLE = (b: Buffer): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return int(v);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME (a length hint)
      case 0x2e: { // STOP
        if (stack.length !== 1 || marks.length) fail('the pickle did not end with exactly one value');
        return stack[0];
      }
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP

      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(longLE(bytes(u8()))); break; // LONG1
      case 0x8b: { const n = i32(); if (n < 0) fail('negative LONG4 length'); stack.push(longLE(bytes(n))); break; }
      case 0x49: { // INT (text; "00"/"01" are False/True in protocol 0)
        const s = line();
        stack.push(s === '00' ? false : s === '01' ? true : int(BigInt(s)));
        break;
      }
      case 0x4c: stack.push(int(BigInt(line().replace(/L$/, '')))); break; // LONG (text)
      case 0x47: need(8); stack.push(data.readDoubleBE(pos)); pos += 8; break; // BINFLOAT
      case 0x46: stack.push(parseFloat(line())); break; // FLOAT (text)

      case 0x58: stack.push(bytes(u32()).toString('utf8')); break; // BINUNICODE
      case 0x8c: stack.push(bytes(u8()).toString('utf8')); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(bytes(u64()).toString('utf8')); break; // BINUNICODE8
      case 0x54: stack.push(bytes(u32()).toString('latin1')); break; // BINSTRING (py2 str)
      case 0x55: stack.push(bytes(u8()).toString('latin1')); break; // SHORT_BINSTRING
      case 0x42: stack.push(Buffer.from(bytes(u32()))); break; // BINBYTES
      case 0x43: stack.push(Buffer.from(bytes(u8()))); break; // SHORT_BINBYTES
      case 0x8e: stack.push(Buffer.from(bytes(u64()))); break; // BINBYTES8
      case 0x96: stack.push(Buffer.from(bytes(u64()))); break; // BYTEARRAY8

      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x61: { const v = pop(); listOf(top()).push(v); break; } // APPEND
      case 0x65: { const items = popMark(); listOf(top()).push(...items); break; } // APPENDS
      case 0x7d: stack.push(new PyDict()); break; // EMPTY_DICT
      case 0x64: { // DICT
        const items = popMark();
        const d = new PyDict();
        for (let i = 0; i + 1 < items.length; i += 2) d.map.set(items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x73: { const v = pop(); const k = pop(); dictOf(top()).map.set(k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        if (items.length % 2) fail('SETITEMS with an odd number of items');
        const d = dictOf(top());
        for (let i = 0; i < items.length; i += 2) d.map.set(items[i], items[i + 1]);
        break;
      }
      case 0x8f: stack.push([]); break; // EMPTY_SET (as a list: only membership matters, never used by torch)
      case 0x90: { const items = popMark(); listOf(top()).push(...items); break; } // ADDITEMS
      case 0x91: stack.push(popMark()); break; // FROZENSET

      case 0x70: memo.set(Number(line()), top()); break; // PUT
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x67: stack.push(getMemo(Number(line()))); break; // GET
      case 0x68: stack.push(getMemo(u8())); break; // BINGET
      case 0x6a: stack.push(getMemo(u32())); break; // LONG_BINGET

      case 0x63: { const module = line(); const name = line(); stack.push(hooks.findGlobal(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(hooks.findGlobal(module as string, name as string));
        break;
      }
      case 0x52: { const args = pop(); const fn = pop(); stack.push(call(fn, args)); break; } // REDUCE
      case 0x81: { const args = pop(); const cls = pop(); stack.push(call(cls, args)); break; } // NEWOBJ
      case 0x62: { // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PyDict) obj.attributes = state;
        else if (obj && typeof obj === 'object' && typeof (obj as { setState?: unknown }).setState === 'function') {
          (obj as { setState(s: unknown): void }).setState(state);
        } else fail(`BUILD on a ${describe(obj)}`);
        break;
      }
      case 0x51: stack.push(hooks.persistentLoad(pop())); break; // BINPERSID
      case 0x50: stack.push(hooks.persistentLoad(line())); break; // PERSID

      default:
        fail(
          `opcode 0x${op.toString(16).padStart(2, '0')} at byte ${pos - 1} is not supported (only plain data and allowed torch globals are)`,
          'Only state dicts of tensors are supported: re-save with torch.save(model.state_dict(), path), or convert to safetensors.',
        );
    }
  }
}

export function describe(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'tuple/list';
  if (v instanceof PyDict) return 'dict';
  if (v instanceof PyCallable) return v.qualifiedName;
  if (Buffer.isBuffer(v)) return 'bytes';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}
