/** The reference implementation (the oracle): a plain TypeScript forward pass for every supported architecture. */
export * from './config';
export { referenceConfigFrom, REFERENCE_ARCHS } from './archs';
export type { ReferenceConfigOptions } from './archs/types';
export { gemmaEmbedScale } from './archs/gemma';
export * from './param-source';
export { ReferenceModel } from './model';
export { MlcArtifactParams } from './mlc-params';
export { loadWeights } from './weights';
export type { ModelWeights, LayerWeights } from './weights';
export { linear, argmax } from './primitives/linear';
export { rmsNorm } from './primitives/rmsnorm';
export { ropeBaseInvFreq, llama3InvFreq, ropeInvFreq, ropeCosSin, applyRopeAt, applyRope } from './primitives/rope';
export { attention, isVisible } from './primitives/attention';
export type { AttentionOptions } from './primitives/attention';
export { gatedMlp } from './primitives/mlp';
export { silu, gelu, geluTanh, erf } from './primitives/activation';
export { softcap, softcapInPlace } from './primitives/softcap';
