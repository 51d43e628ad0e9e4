import { buildGemma } from './gemma';
import { ArchMappingEntry } from './types';

export const gemma2Mapping: ArchMappingEntry = {
  modelTypes: ['gemma2'],
  build: (config, file) => buildGemma(config, file, { feedForwardNorms: true }),
};
