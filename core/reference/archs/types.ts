import { ComputeDType, ReferenceConfig } from '../config';
import { ModelConfigFields } from './fields';

export interface ArchOptions {
  /** Dtype whose rounding model constants follow (gemma's sqrt(hidden) embedding scale). */
  computeDtype: ComputeDType;
}

export interface ReferenceConfigOptions extends Partial<ArchOptions> {
  /**
   * Round RoPE inverse frequencies to this dtype, imitating transformers running a checkpoint loaded in
   * that dtype (see RopeSpec.invFreqDtype). Leave unset to imitate MLC (float32 frequencies).
   */
  invFreqDtype?: ComputeDType;
  /** Path of the config the model_config came from; only improves error messages. */
  file?: string;
}

/** One architecture family: MLC model_config → ReferenceConfig. */
export type ReferenceArch = (f: ModelConfigFields, opts: ArchOptions) => ReferenceConfig;
