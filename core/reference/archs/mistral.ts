import { ReferenceConfig } from '../config';
import { llama } from './llama';
import { uniformLayers } from './common';
import { ModelConfigFields } from './fields';

/**
 * MistralConfig: llama with an optional sliding window (`sliding_window_size`, -1 = none; HF `sliding_window`
 * as a fallback) and always an untied lm_head. MLC additionally keeps `attention_sink_size` tokens visible
 * in its sliding-window KV cache; HF does not, and the reference follows HF (the sink only matters past the window).
 */
export function mistral(f: ModelConfigFields): ReferenceConfig {
  const base = llama(f);
  const raw = f.has('sliding_window_size') ? f.number('sliding_window_size') : f.optionalNumber('sliding_window');
  const window = raw !== null && raw > 0 ? raw : null;
  return {
    ...base,
    modelType: 'mistral',
    layers: uniformLayers(base.numLayers, base.layers[0].rope, window),
    params: { ...base.params, lmHead: f.bool('tie_word_embeddings', false) ? null : 'lm_head.weight' },
  };
}
