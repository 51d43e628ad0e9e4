import { ArchSpec } from './types';
import { GEMMA_FIELDS, gemmaPostInit } from './gemma';

/**
 * MLC `Gemma2Config` (python/mlc_llm/model/gemma2/gemma2_model.py): GemmaConfig plus soft-capping, query scalar and
 * sliding window. MLC sets context_window_size = sliding_window (its sliding attention on every other layer is
 * not implemented), so gen-config writes the window size as the context; overrides cannot change that.
 */
export const gemma2: ArchSpec = {
  modelType: 'gemma2',
  hfModelTypes: ['gemma2'],
  description: 'Gemma 2 (pre/post feed-forward norms, logit soft-capping, alternating sliding-window attention)',
  defaultConvTemplate: 'gemma_instruction',
  quantKinds: ['no-quant', 'group'],
  config: {
    className: 'Gemma2Config',
    fields: [
      ...GEMMA_FIELDS,
      { name: 'attn_logit_softcapping', default: null },
      { name: 'final_logit_softcapping', default: null },
      { name: 'query_pre_attn_scalar', default: null },
      { name: 'sliding_window', default: null },
    ],
    postInit(self) {
      gemmaPostInit(self);
      self.f.context_window_size = self.f.sliding_window;
    },
  },
};
