import { NxMlcError } from '../../support/errors';
import { PyFloat } from '../../support/pyjson';
import { ReferenceConfig } from '../config';
import { ModelConfigFields } from './fields';
import { gemma, gemma2 } from './gemma';
import { gemma3 } from './gemma3';
import { llama } from './llama';
import { mistral } from './mistral';
import { phi3 } from './phi3';
import { qwen2 } from './qwen2';
import { qwen3 } from './qwen3';
import { ArchOptions, ReferenceConfigOptions } from './types';

/**
 * model_config as parsed by JSON.parse or by the Python-style parser (core/support/pyjson keeps floats as
 * PyFloat boxes and big ints as bigint): reduce to plain JS numbers so the arch readers see one shape.
 */
function plainNumbers(v: unknown): unknown {
  if (v instanceof PyFloat) return v.value;
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plainNumbers);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, plainNumbers(x)]));
  }
  return v;
}

type Builder = (f: ModelConfigFields, opts: ArchOptions, file?: string) => ReferenceConfig;

/** model_type (as in mlc-chat-config.json) → how its model_config becomes a ReferenceConfig. */
export const REFERENCE_ARCHS: Readonly<Record<string, Builder>> = {
  llama,
  mistral,
  qwen2,
  qwen3,
  gemma,
  gemma2,
  gemma3,
  gemma3_text: gemma3,
  phi3,
};

/**
 * Normalize an mlc-chat-config.json `model_type` + `model_config` for the reference forward pass.
 */
export function referenceConfigFrom(
  modelType: string,
  modelConfig: Record<string, unknown>,
  opts: ReferenceConfigOptions = {},
): ReferenceConfig {
  const build = REFERENCE_ARCHS[modelType];
  if (!build) {
    throw new NxMlcError(`The reference implementation does not support model_type "${modelType}"`, {
      file: opts.file,
      field: 'model_type',
      fix: `Supported: ${Object.keys(REFERENCE_ARCHS).join(', ')}.`,
    });
  }
  const fields = new ModelConfigFields(plainNumbers(modelConfig) as Record<string, unknown>, modelType, opts.file);
  const cfg = build(fields, { computeDtype: opts.computeDtype ?? 'float32' }, opts.file);
  if (!opts.invFreqDtype) return cfg;
  return { ...cfg, layers: cfg.layers.map((l) => ({ ...l, rope: { ...l.rope, invFreqDtype: opts.invFreqDtype } })) };
}
