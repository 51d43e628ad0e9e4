/**
 * How one architecture's Hugging Face tensors become MLC parameters (spec mlc-format.md §6.2).
 * A mapping is data computed from config.json: the MLC parameters in MLC's insertion order, each with the
 * HF tensors it is built from (concatenated along axis 0) and the shape config.json implies for each.
 */

/** Decides quantization: embeddings and final projections follow the scheme's flags; linears are always quantized by group schemes. */
export type ParamKind = 'embedding' | 'linear' | 'final-fc' | 'plain' | 'awq-packed';

export interface SourceSpec {
  /** HF tensor name */
  name: string;
  /** shape config.json implies */
  shape: number[];
  /** which config.json fields gave that shape, for error messages */
  from: string;
}

export interface MlcParamSpec {
  /** MLC parameter name before quantization (ends in `.weight` / `.bias`) */
  name: string;
  kind: ParamKind;
  /** concatenated along axis 0 (axis 1 for `awq-packed`), in order */
  sources: SourceSpec[];
  /** gemma RMSNorm: stored as (x + 1), computed in the source dtype */
  plusOne?: boolean;
}

export interface WeightMapping {
  /** MLC parameters in the mapping's insertion order */
  params: MlcParamSpec[];
  /** Source names MLC lists as unused_params: ignored and not counted in BitsPerParam. */
  isUnused(name: string): boolean;
  /** Source names a checkpoint may carry that this model does not use (e.g. a tied lm_head): ignored but counted. */
  isRedundant(name: string): boolean;
}

export interface MappingOptions {
  /** AutoAWQ checkpoint: linears come as qweight / qzeros / scales */
  awq?: boolean;
}

export interface ArchMappingEntry {
  modelTypes: string[];
  /** whether an AutoAWQ mapping exists (spec §5.4: llama) */
  awq?: boolean;
  build(config: Record<string, unknown>, configFile: string, opts?: MappingOptions): WeightMapping;
}
