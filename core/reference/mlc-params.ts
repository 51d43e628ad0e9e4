import { loadMlcParams, dequantizeParam, MlcParams } from '../weights/load';
import { LogicalParam, ParamSource } from './param-source';

/**
 * Converted MLC weights (a directory with tensor-cache.json + params_shard_*.bin, as convert-weight
 * writes them) as logical float32 parameters: plain records decoded, group-quantized `q_weight`/`q_scale`
 * pairs dequantized the way the runtime does. Holds every decoded record in memory: meant for the
 * small models validation and conformance run the reference on.
 */
export class MlcArtifactParams implements ParamSource {
  private readonly params: MlcParams;

  /**
   * `quantization` is the scheme the directory was converted with (mlc-chat-config.json `quantization`);
   * `rowLengths` gives K for weights whose rows are not a whole number of quantization groups.
   */
  constructor(dir: string, private readonly quantization: string, private readonly rowLengths: Record<string, number> = {}) {
    this.params = loadMlcParams(dir);
  }

  has(name: string): boolean {
    return this.params.has(name) || this.params.has(name.replace(/\.weight$/, '.q_weight'));
  }

  get(name: string): LogicalParam {
    return dequantizeParam(this.params, name, this.quantization, this.rowLengths[name]);
  }
}
