/** A logical (dequantized) float32 weight. */
export interface LogicalParam {
  shape: number[];
  data: Float32Array;
}

/**
 * Where the reference reads weights: by MLC parameter name (spec §6.2), as logical float32 tensors.
 * Implementations dequantize MLC artifacts, or (in tests) serve an HF checkpoint under MLC names.
 */
export interface ParamSource {
  get(name: string): LogicalParam;
  has(name: string): boolean;
}

/** A ParamSource over tensors already in memory (conformance cases, synthetic models). */
export class MapParamSource implements ParamSource {
  constructor(private readonly params: ReadonlyMap<string, LogicalParam>) {}

  get(name: string): LogicalParam {
    const p = this.params.get(name);
    if (!p) throw new Error(`No parameter named ${name}`);
    return p;
  }

  has(name: string): boolean {
    return this.params.has(name);
  }
}
