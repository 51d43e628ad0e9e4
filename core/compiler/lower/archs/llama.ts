/** llama and mistral: the standard decoder (mistral adds an optional sliding window on every layer). */
import type { Arch } from '../model-dims';
import { ConfigReader } from './config-read';
import { commonDims, STANDARD_NAMES } from './common';

export const llama: Arch = {
  modelTypes: ['llama', 'mistral'],
  names: STANDARD_NAMES,
  dims(cfg, file) {
    const r = new ConfigReader(cfg, file);
    const d = commonDims(r);
    // MLC's mistral has no tie flag: its lm_head always exists.
    if (!('tie_word_embeddings' in cfg)) d.tieEmbeddings = false;
    const window = r.positive('sliding_window_size', 0);
    if (window > 0) {
      d.windowOf = () => window;
      d.slidingWindowSize = window;
    }
    return d;
  },
};
