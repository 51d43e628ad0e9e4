import { QUANTIZATION_NAMES } from '../quant/registry';
import { NxMlcError } from '../support/errors';

/**
 * Every quantization name MLC-LLM's registry accepts (spec §5.1). gen-config only records the name, so it accepts
 * them all; convert-weight implements the subset in core/quant/registry.ts and says so for the others.
 */
const MLC_ONLY = [
  'q4f16_autoawq',
  'q4f16_ft',
  'e5m2_e5m2_f16',
  'e4m3_e4m3_f16',
  'e4m3_e4m3_f16_max_calibrate',
  'fp8_e4m3fn_bf16_block_scale',
  'fp8_e4m3fn_bf16_block_scale_static_activation',
];

export const MLC_QUANTIZATION_NAMES: readonly string[] = [...QUANTIZATION_NAMES, ...MLC_ONLY.filter((n) => !QUANTIZATION_NAMES.includes(n))];

export function assertQuantizationName(name: string): void {
  if (!MLC_QUANTIZATION_NAMES.includes(name)) {
    throw new NxMlcError(`Unknown quantization "${name}"`, {
      field: 'quantization',
      fix: `Use one of: ${MLC_QUANTIZATION_NAMES.join(', ')}.`,
    });
  }
}
