import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { NxMlcError } from '../support/errors';
import { PyObject, PyValue, parsePyJson, pyNumber } from '../support/pyjson';

/**
 * Reading a checkpoint's config.json and generation_config.json.
 *
 * We keep the raw JSON (ints vs floats, key order) because gen-config must reproduce MLC byte for byte, and
 * validate the fields every stage relies on with zod so that a broken config fails with a clear message.
 * transformers 5 writes RoPE settings as one `rope_parameters` dict; MLC and most published checkpoints use the
 * classic `rope_theta` / `rope_scaling` keys. `toClassicRope` turns the former into the latter.
 */

export function readJsonFile(file: string, what: string): PyValue {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new NxMlcError(`Cannot read ${what}`, { file, fix: 'Check that the path exists and is readable.' });
  }
  try {
    return parsePyJson(text);
  } catch (e) {
    throw new NxMlcError(`${what} is not valid JSON: ${(e as Error).message}`, { file, fix: 'Fix the JSON syntax or download the file again.' });
  }
}

const numberLike = z.custom<PyValue>((v) => pyNumber(v as PyValue) !== undefined, { message: 'expected a number' });

/** The fields every architecture needs; everything else passes through untouched. */
const HfConfigCore = z
  .object({
    model_type: z.string({ message: 'model_type is required (a string such as "llama")' }),
    hidden_size: numberLike.optional(),
    num_hidden_layers: numberLike.optional(),
    num_attention_heads: numberLike.optional(),
    vocab_size: numberLike.optional(),
    rope_parameters: z.record(z.string(), z.unknown()).nullable().optional(),
    rope_scaling: z.record(z.string(), z.unknown()).nullable().optional(),
    tie_word_embeddings: z.boolean().optional(),
  })
  .passthrough();

export interface HfConfig {
  file: string;
  /** The config as written, in classic RoPE form (see toClassicRope). */
  raw: PyObject;
  modelType: string;
}

export function readHfConfig(dir: string): HfConfig {
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file)) {
    throw new NxMlcError(`No config.json in ${dir}: this is not a Hugging Face checkpoint directory`, {
      file,
      fix: 'Point at the directory that holds config.json (e.g. the snapshot folder of `huggingface-cli download`), or download the checkpoint first.',
    });
  }
  const value = readJsonFile(file, 'config.json');
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new NxMlcError('config.json must hold a JSON object', { file });
  }
  const check = HfConfigCore.safeParse(value);
  if (!check.success) {
    const issue = check.error.issues[0];
    throw new NxMlcError(`config.json is invalid: ${issue.message}`, {
      file,
      field: issue.path.join('.'),
      fix: 'Compare with the config.json of the original checkpoint on the Hugging Face Hub.',
    });
  }
  const raw = value as PyObject;
  return { file, raw: toClassicRope(raw), modelType: raw.model_type as string };
}

/** generation_config.json if present (sampling defaults and special token ids). */
export function readGenerationConfig(dir: string): PyObject | undefined {
  const file = path.join(dir, 'generation_config.json');
  if (!fs.existsSync(file)) return undefined;
  const v = readJsonFile(file, 'generation_config.json');
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new NxMlcError('generation_config.json must hold a JSON object', { file });
  return v as PyObject;
}

function isObject(v: PyValue | undefined): v is PyObject {
  return !!v && typeof v === 'object' && !Array.isArray(v) && v.constructor === Object;
}

/**
 * transformers-5 `rope_parameters` → the classic keys, in place of `rope_parameters` (inserted keys sorted, as
 * Hugging Face writes config.json with sorted keys):
 * - `rope_theta` → top-level `rope_theta`; `partial_rotary_factor` → top level;
 *   `original_max_position_embeddings` → top level when the family keeps it there (phi3), else it stays in rope_scaling;
 * - the rest → `rope_scaling`, or `null` for `rope_type: "default"`;
 * - per-layer-type form (gemma3: `{full_attention: {...}, sliding_attention: {...}}`) → `rope_theta` from
 *   full attention, `rope_local_base_freq` from sliding attention, `rope_scaling` from full attention.
 * Keys already present in classic form win. `scalingTypeKey` names the kind key in rope_scaling (phi3 uses `type`).
 */
export function toClassicRope(cfg: PyObject, scalingTypeKey: 'rope_type' | 'type' = cfg.model_type === 'phi3' ? 'type' : 'rope_type'): PyObject {
  const rp = cfg.rope_parameters;
  if (!isObject(rp)) return cfg;
  const classic: PyObject = {};
  const scalingFrom = (p: PyObject): PyValue => {
    if (p.rope_type === undefined || p.rope_type === 'default') return null;
    const s: PyObject = {};
    for (const [k, v] of Object.entries(p)) {
      if (k === 'rope_theta' || k === 'partial_rotary_factor') continue;
      if (k === 'original_max_position_embeddings' && scalingTypeKey === 'type') continue;
      s[k === 'rope_type' ? scalingTypeKey : k] = v;
    }
    return sortKeys(s);
  };
  if (isObject(rp.full_attention) || isObject(rp.sliding_attention)) {
    const full = isObject(rp.full_attention) ? rp.full_attention : {};
    const sliding = isObject(rp.sliding_attention) ? rp.sliding_attention : {};
    if (sliding.rope_theta !== undefined) classic.rope_local_base_freq = sliding.rope_theta;
    classic.rope_scaling = scalingFrom(full);
    if (full.rope_theta !== undefined) classic.rope_theta = full.rope_theta;
  } else {
    if (rp.partial_rotary_factor !== undefined) classic.partial_rotary_factor = rp.partial_rotary_factor;
    if (rp.original_max_position_embeddings !== undefined && scalingTypeKey === 'type') {
      classic.original_max_position_embeddings = rp.original_max_position_embeddings;
    }
    classic.rope_scaling = scalingFrom(rp);
    if (rp.rope_theta !== undefined) classic.rope_theta = rp.rope_theta;
  }
  const out: PyObject = {};
  for (const [k, v] of Object.entries(cfg)) {
    if (k !== 'rope_parameters') {
      if (!(k in out)) out[k] = v;
      continue;
    }
    for (const [ck, cv] of Object.entries(sortKeys(classic))) {
      if (!(ck in cfg)) out[ck] = cv;
    }
  }
  return out;
}

function sortKeys(o: PyObject): PyObject {
  const out: PyObject = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}
