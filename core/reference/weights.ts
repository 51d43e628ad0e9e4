import { NxMlcError } from '../support/errors';
import { layerName, ReferenceConfig } from './config';
import { ParamSource } from './param-source';

/** The weights of one decoder layer, in the fused layouts the forward uses. */
export interface LayerWeights {
  inputNorm: Float32Array;
  /** [(numHeads + 2·numKvHeads)·headDim, hidden]: q rows, then k rows, then v rows. */
  qkv: Float32Array;
  qkvBias: Float32Array | null;
  qNorm: Float32Array | null;
  kNorm: Float32Array | null;
  o: Float32Array;
  postAttnNorm: Float32Array;
  preFfnNorm: Float32Array | null;
  postFfnNorm: Float32Array | null;
  gateUp: Float32Array;
  down: Float32Array;
}

export interface ModelWeights {
  embed: Float32Array;
  lmHead: Float32Array;
  finalNorm: Float32Array;
  layers: LayerWeights[];
}

function fetch(params: ParamSource, name: string, shape: number[]): Float32Array {
  if (!params.has(name)) {
    throw new NxMlcError(`Missing parameter ${name}`, {
      field: name,
      fix: 'The weights do not match model_config (wrong model_type or a partial conversion): run convert-weight again for this model.',
    });
  }
  const p = params.get(name);
  const want = shape.reduce((a, b) => a * b, 1);
  if (p.shape.join(',') !== shape.join(',') || p.data.length !== want) {
    throw new NxMlcError(`Parameter ${name} has shape [${p.shape.join(', ')}], model_config implies [${shape.join(', ')}]`, {
      field: name,
      fix: 'The weights and mlc-chat-config.json come from different models: regenerate both from the same checkpoint.',
    });
  }
  return p.data;
}

function optional(params: ParamSource, name: string | null, shape: number[]): Float32Array | null {
  return name === null ? null : fetch(params, name, shape);
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Read and shape-check every weight the forward needs. */
export function loadWeights(cfg: ReferenceConfig, params: ParamSource): ModelWeights {
  const { hiddenSize: H, intermediateSize: I, numHeads, numKvHeads, headDim: D, vocabSize: V } = cfg;
  const names = cfg.params;
  const qRows = numHeads * D;
  const kvRows = numKvHeads * D;
  const embed = fetch(params, names.embed, [V, H]);
  const layers: LayerWeights[] = [];
  for (let i = 0; i < cfg.numLayers; i++) {
    const n = (t: string | null): string | null => (t === null ? null : layerName(t, i));
    const l = names.layer;
    const qkv = l.qkv !== null
      ? fetch(params, n(l.qkv)!, [qRows + 2 * kvRows, H])
      : concat([fetch(params, n(l.q)!, [qRows, H]), fetch(params, n(l.k)!, [kvRows, H]), fetch(params, n(l.v)!, [kvRows, H])]);
    layers.push({
      inputNorm: fetch(params, n(l.inputNorm)!, [H]),
      qkv,
      qkvBias: optional(params, n(l.qkvBias), [qRows + 2 * kvRows]),
      qNorm: optional(params, n(l.qNorm), [D]),
      kNorm: optional(params, n(l.kNorm), [D]),
      o: fetch(params, n(l.o)!, [H, qRows]),
      postAttnNorm: fetch(params, n(l.postAttnNorm)!, [H]),
      preFfnNorm: optional(params, n(l.preFfnNorm), [H]),
      postFfnNorm: optional(params, n(l.postFfnNorm), [H]),
      gateUp: fetch(params, n(l.gateUp)!, [2 * I, H]),
      down: fetch(params, n(l.down)!, [H, I]),
    });
  }
  return {
    embed,
    lmHead: names.lmHead === null ? embed : fetch(params, names.lmHead, [V, H]),
    finalNorm: fetch(params, names.finalNorm, [H]),
    layers,
  };
}
