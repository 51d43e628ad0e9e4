import { PyObject, PyValue, pyNumber } from '../support/pyjson';

/**
 * A faithful stand-in for MLC-LLM's `ConfigBase` dataclasses (`mlc_llm/support/config.py`), because the
 * exact content and key order of `model_config` in mlc-chat-config.json come from them:
 * - `from_dict`: keys that are fields become fields, everything else goes to `kwargs`; then `__post_init__`.
 * - `asdict`: fields in declaration order, without `kwargs`.
 * - overrides: `asdict()`, patch, `from_dict()` again (so `__post_init__` runs a second time with empty kwargs).
 * Values stay raw JSON values (PyFloat keeps floats floats), exactly as Python keeps them.
 */

export const REQUIRED = Symbol('required');

export interface FieldSpec {
  name: string;
  /** Default value, or REQUIRED for a dataclass field without a default. */
  default: PyValue | typeof REQUIRED;
}

export interface DataclassInstance {
  /** Field values by name (every declared field present after construction). */
  f: Record<string, PyValue>;
  /** Keys of the source that are not fields. */
  kwargs: PyObject;
}

export interface DataclassSpec {
  /** MLC's class name, for error messages (e.g. `LlamaConfig`). */
  className: string;
  fields: FieldSpec[];
  /** `__post_init__`: mutate the instance; throw ConfigError for what MLC rejects. */
  postInit(self: DataclassInstance): void;
}

/** An error MLC's dataclass itself would raise (the caller adds the file name). */
export class ConfigError extends Error {
  constructor(message: string, readonly field?: string) {
    super(message);
  }
}

function deepCopy<T extends PyValue>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => deepCopy(x)) as T;
  if (v && typeof v === 'object' && v.constructor === Object) {
    const o: PyObject = {};
    for (const [k, x] of Object.entries(v as PyObject)) o[k] = deepCopy(x);
    return o as T;
  }
  return v;
}

export function fromDict(spec: DataclassSpec, source: PyObject): DataclassInstance {
  const names = new Set(spec.fields.map((x) => x.name));
  const f: Record<string, PyValue> = {};
  const kwargs: PyObject = {};
  for (const [k, v] of Object.entries(source)) {
    if (k === 'kwargs') continue;
    if (names.has(k)) f[k] = deepCopy(v);
    else kwargs[k] = deepCopy(v);
  }
  const nested = source.kwargs;
  if (nested && typeof nested === 'object' && !Array.isArray(nested) && nested.constructor === Object) {
    Object.assign(kwargs, deepCopy(nested as PyObject));
  }
  for (const field of spec.fields) {
    if (field.name in f) continue;
    if (field.default === REQUIRED) {
      throw new ConfigError(`${spec.className} requires "${field.name}", which config.json does not have`, field.name);
    }
    f[field.name] = deepCopy(field.default);
  }
  const self = { f, kwargs };
  spec.postInit(self);
  return self;
}

export function asDict(spec: DataclassSpec, self: DataclassInstance): PyObject {
  const out: PyObject = {};
  for (const field of spec.fields) out[field.name] = deepCopy(self.f[field.name]);
  return out;
}

// ---- small helpers mirroring the Python idioms used by the __post_init__ methods ----

/** Python `x == 0` for a raw JSON value (ints and floats alike). */
export function isZero(v: PyValue): boolean {
  return pyNumber(v) === 0;
}

export function num(v: PyValue, what: string): number {
  const n = pyNumber(v);
  if (n === undefined) throw new ConfigError(`"${what}" must be a number, got ${JSON.stringify(v)}`, what);
  return n;
}

/** `self.kwargs.pop(name)` if present. */
export function popKw(self: DataclassInstance, name: string): PyValue | undefined {
  if (!(name in self.kwargs)) return undefined;
  const v = self.kwargs[name];
  delete self.kwargs[name];
  return v;
}

/** The rope-theta rule shared by the llama family: `position_embedding_base` 0 → kwargs' rope_theta, else 10000. */
export function defaultPositionEmbeddingBase(self: DataclassInstance): void {
  if (isZero(self.f.position_embedding_base)) {
    const theta = popKw(self, 'rope_theta');
    self.f.position_embedding_base = theta !== undefined ? theta : 10000;
  }
}

/** `context_window_size` 0 → pop the first of max_position_embeddings / max_sequence_length, else MLC's ValueError. */
export function defaultContextWindow(self: DataclassInstance): void {
  if (!isZero(self.f.context_window_size)) return;
  for (const name of ['max_position_embeddings', 'max_sequence_length']) {
    const v = popKw(self, name);
    if (v !== undefined) {
      self.f.context_window_size = v;
      return;
    }
  }
  throw new ConfigError(
    'Unable to determine the maximum sequence length, because none of `context_window_size`, `max_position_embeddings` or `max_sequence_length` is provided in `config.json`.',
    'max_position_embeddings',
  );
}

/** prefill_chunk_size 0 → min(context, cap); larger than context → min(context, cap). */
export function clampPrefillChunk(self: DataclassInstance, cap: number): void {
  const ctx = num(self.f.context_window_size, 'context_window_size');
  const p = num(self.f.prefill_chunk_size, 'prefill_chunk_size');
  if (p === 0 || p > ctx) self.f.prefill_chunk_size = Math.min(ctx, cap);
}

export function defaultKvHeadsAndHeadDim(self: DataclassInstance): void {
  if (isZero(self.f.num_key_value_heads)) self.f.num_key_value_heads = self.f.num_attention_heads;
  if (isZero(self.f.head_dim)) {
    self.f.head_dim = Math.floor(num(self.f.hidden_size, 'hidden_size') / num(self.f.num_attention_heads, 'num_attention_heads'));
  }
}

export function assertDivisible(self: DataclassInstance, a: string, b: string): void {
  const x = num(self.f[a], a);
  const y = num(self.f[b], b);
  if (y === 0 || x % y !== 0) throw new ConfigError(`${a} (${x}) must be a multiple of ${b} (${y})`, b);
}
