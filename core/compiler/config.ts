/**
 * Compile-time config resolution, as MLC's compile does it (spec §7.3): read mlc-chat-config.json,
 * pop active_vocab_size, update model_config with the top-level keys (so the top-level
 * context_window_size / prefill_chunk_size / sliding_window_size win), then apply --overrides.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NxMlcError } from '../support/errors';

export interface ResolvedConfig {
  file: string;
  modelType: string;
  quantization: string;
  /** model_config after top-level keys and overrides, as the library is specialised to it. */
  modelConfig: Record<string, unknown>;
  activeVocabSize: number;
}

/** Keys `--overrides` accepts (MLC's compile ModelConfigOverride). */
export const OVERRIDE_KEYS = [
  'context_window_size', 'sliding_window_size', 'prefill_chunk_size', 'attention_sink_size',
  'max_batch_size', 'tensor_parallel_shards', 'pipeline_parallel_stages', 'disaggregation',
] as const;

/** Top-level keys of mlc-chat-config that reach model_config (the ones the dataclasses have). */
const TOP_LEVEL_INTO_MODEL_CONFIG = ['vocab_size', ...OVERRIDE_KEYS];

export function parseOverrides(spec: string | Record<string, number> | undefined): Record<string, number> {
  if (!spec) return {};
  if (typeof spec !== 'string') return { ...spec };
  const out: Record<string, number> = {};
  for (const part of spec.split(';').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z_]+)\s*=\s*(-?\d+|true|false)$/i.exec(part);
    if (!m || !(OVERRIDE_KEYS as readonly string[]).includes(m[1])) {
      throw new NxMlcError(`bad --overrides entry "${part}"`, {
        field: 'overrides',
        fix: `write "key=value;key=value" with keys among ${OVERRIDE_KEYS.join(', ')}`,
      });
    }
    out[m[1]] = m[2] === 'true' ? 1 : m[2] === 'false' ? 0 : Number(m[2]);
  }
  return out;
}

export function chatConfigFile(p: string): string {
  const isDir = fs.existsSync(p) ? fs.statSync(p).isDirectory() : !p.endsWith('.json');
  return isDir ? path.join(p, 'mlc-chat-config.json') : p;
}

export function resolveCompileConfig(chatConfigPath: string, overrides: Record<string, number>): ResolvedConfig {
  const file = chatConfigFile(chatConfigPath);
  if (!fs.existsSync(file)) {
    throw new NxMlcError('mlc-chat-config.json not found', { file, fix: 'run gen-config first, or pass the path of the file or its directory' });
  }
  let chat: Record<string, unknown>;
  try {
    chat = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new NxMlcError(`mlc-chat-config.json is not valid JSON: ${(e as Error).message}`, { file, fix: 'regenerate it with gen-config' });
  }
  const need = (k: string, type: string) => {
    if (typeof chat[k] !== type) throw new NxMlcError(`mlc-chat-config.json lacks "${k}"`, { file, field: k, fix: 'regenerate it with gen-config' });
  };
  need('model_type', 'string');
  need('quantization', 'string');
  need('model_config', 'object');
  const modelConfig = { ...(chat.model_config as Record<string, unknown>) };
  for (const k of TOP_LEVEL_INTO_MODEL_CONFIG) if (k in chat && chat[k] !== undefined) modelConfig[k] = chat[k];
  // A top-level -1 for a key the dataclass lacks means "not applicable": do not inject it.
  for (const k of ['sliding_window_size', 'attention_sink_size']) {
    if (!(k in (chat.model_config as object)) && modelConfig[k] === -1) delete modelConfig[k];
  }
  for (const [k, v] of Object.entries(overrides)) modelConfig[k] = v;
  // __post_init__: the prefill chunk never exceeds the context window.
  const ctx = modelConfig.context_window_size;
  const chunk = modelConfig.prefill_chunk_size;
  if (typeof ctx === 'number' && ctx > 0 && typeof chunk === 'number' && chunk > ctx) modelConfig.prefill_chunk_size = ctx;
  const vocab = typeof modelConfig.vocab_size === 'number' ? modelConfig.vocab_size : 0;
  const active = typeof chat.active_vocab_size === 'number' && chat.active_vocab_size > 0 ? chat.active_vocab_size : vocab;
  return { file, modelType: chat.model_type as string, quantization: chat.quantization as string, modelConfig, activeVocabSize: active };
}
