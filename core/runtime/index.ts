/** The runtime's public surface: what the CLI and the Nx executors call. */
export { validate, formatValidateReport, DEFAULT_VALIDATE_PROMPT, DEFAULT_MAX_TOKENS } from './validate';
export type { ValidateOptions, ValidateReport, ValidateResult, ReferenceReport } from './validate';
export { chat, CHAT_HELP } from './chat';
export type { ChatOptions } from './chat';
export { openModel } from './open-model';
export type { OpenModel, OpenModelOptions } from './open-model';
export { Session } from './generate';
export type { GenerateRequest, GenerateResult, FinishReason } from './generate';
export { ModelLibrary, ModelInstance, NativeError, NXMLC_ABI_VERSION } from './library';
export type { LibraryMetadata, ParamSpec } from './library';
export { Sampler } from './sampler';
export type { SamplingParams } from './sampler';
export { defaultTolerance } from './tolerance';
export type { Tolerance } from './tolerance';
