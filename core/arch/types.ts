import type { DataclassSpec } from './dataclass';

/** Quantization kinds an architecture supports in MLC (spec §6.1): group, ft, awq, per-tensor, block-scale. */
export type QuantKind = 'no-quant' | 'group' | 'ft' | 'awq' | 'per-tensor' | 'block-scale';

/**
 * One architecture of the registry. Adding an architecture is adding one file that exports one of these
 * and listing it in registry.ts.
 */
export interface ArchSpec {
  /** MLC's registry key, written as `model_type` in mlc-chat-config.json. */
  modelType: string;
  /** Hugging Face `model_type` values (config.json) that map to this architecture. */
  hfModelTypes: string[];
  /** One-line description for `inspect` and generators. */
  description: string;
  /** MLC's config dataclass: fields in declaration order + `__post_init__`. */
  config: DataclassSpec;
  quantKinds: QuantKind[];
  /** A reasonable conversation template for instruct checkpoints of this family (the `model` generator proposes it). */
  defaultConvTemplate: string;
  /**
   * How the transformers-5 `rope_parameters` dict maps onto this family's classic keys, when that differs from the
   * llama convention (`rope_type` kept in `rope_scaling`): e.g. phi3's classic `rope_scaling` names its kind `type`.
   */
  ropeScalingTypeKey?: 'rope_type' | 'type';
}
