import { buildLlamaLike } from './llama';
import { ArchMappingEntry } from './types';

/** mistral: llama's mapping, but MLC's Mistral always has its own lm_head. */
export const mistralMapping: ArchMappingEntry = {
  modelTypes: ['mistral'],
  build: (config, file) => buildLlamaLike(config, file, { alwaysLmHead: true }),
};
