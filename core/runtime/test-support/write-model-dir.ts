import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Conversation } from '../../chat/conversation';

/**
 * Writes a small MLC model directory for the runtime's tests, straight from the spec (mlc-format.md §4):
 * one raw shard, tensor-cache.json with "f32-to-bf16" on every record, float32 stored as bf16 (RNE), plus
 * a minimal mlc-chat-config.json. Independent of the real converter on purpose.
 */

export interface TestTensor {
  name: string;
  dtype: 'float32' | 'int32' | 'float16';
  shape: number[];
  /** float32: values; int32: values; float16: raw fp16 bit patterns. */
  values: number[];
}

function encode(t: TestTensor): Buffer {
  const n = t.values.length;
  if (t.dtype === 'float32') {
    const b = Buffer.alloc(2 * n);
    const f = new Float32Array(1);
    const u = new Uint32Array(f.buffer);
    t.values.forEach((v, i) => {
      f[0] = v;
      const x = u[0];
      const L = 3.3895314e38;
      const bits = v > -L && v < L ? (x + 0x7fff + ((x >>> 16) & 1)) >>> 16 : x >>> 16;
      b.writeUInt16LE(bits & 0xffff, 2 * i);
    });
    return b;
  }
  if (t.dtype === 'int32') {
    const b = Buffer.alloc(4 * n);
    t.values.forEach((v, i) => b.writeInt32LE(v, 4 * i));
    return b;
  }
  const b = Buffer.alloc(2 * n);
  t.values.forEach((v, i) => b.writeUInt16LE(v, 2 * i));
  return b;
}

export function writeTestWeights(dir: string, tensors: TestTensor[]): void {
  fs.mkdirSync(dir, { recursive: true });
  const parts: Buffer[] = [];
  const records: Record<string, unknown>[] = [];
  let offset = 0;
  for (const t of tensors) {
    const d = encode(t);
    records.push({ name: t.name, shape: t.shape, dtype: t.dtype, format: 'f32-to-bf16', nbytes: d.length, byteOffset: offset });
    parts.push(d);
    offset += d.length;
  }
  const shard = Buffer.concat(parts);
  fs.writeFileSync(path.join(dir, 'params_shard_0.bin'), shard);
  const cache = {
    metadata: { ParamSize: tensors.length, ParamBytes: 0, BitsPerParam: 0 },
    records: [{ dataPath: 'params_shard_0.bin', format: 'raw-shard', nbytes: shard.length, records, md5sum: '' }],
  };
  fs.writeFileSync(path.join(dir, 'tensor-cache.json'), JSON.stringify(cache, null, 4));
}

export function writeTestChatConfig(dir: string, config: Record<string, unknown>): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'mlc-chat-config.json'), JSON.stringify(config, null, 2));
}

/** The LM template of spec §3.3 (a base model: raw text, no roles). */
export const LM_TEMPLATE: Conversation = {
  name: 'LM',
  system_template: '{system_message}',
  system_message: '',
  system_prefix_token_ids: [1],
  add_role_after_system_message: true,
  roles: { user: '', assistant: '' },
  role_templates: { user: '{user_message}', assistant: '{assistant_message}', tool: '{tool_message}' },
  messages: [],
  seps: [''],
  role_content_sep: '',
  role_empty_sep: '',
  stop_str: [],
  stop_token_ids: [2],
  strip_reasoning_in_history: false,
  function_string: '',
  use_function_calling: false,
};
