import { Command } from 'commander';
import { convertWeight, formatConvertSummary } from '../../core/weights/convert';
import { SourceFormat } from '../../core/hf/checkpoint';
import { out, parseIntOption, runCommand } from '../output';
import { createProgressReporter } from '../progress';

export function registerConvertWeight(program: Command): void {
  program
    .command('convert-weight')
    .description('Convert and quantize weights to MLC format (tensor-cache.json + params_shard_*.bin), byte-compatible with `mlc_llm convert_weight`')
    .argument('<model>', 'Hugging Face checkpoint directory (or its config.json)')
    .requiredOption('--quantization <q>', 'quantization scheme: q0f16, q0bf16, q0f32, q4f16_0, q4f16_1, q4bf16_0, q4bf16_1, q4f32_1, q4f16_2, q3f16_0, q3f16_1')
    .requiredOption('-o, --output <dir>', 'output directory')
    .option('--source-format <f>', 'auto | huggingface-safetensor | huggingface-torch | awq', 'auto')
    .option('--model-type <type>', 'architecture to use instead of config.json\'s model_type')
    .option('--threads <n>', 'quantizer threads (default: all cores)', parseIntOption('threads'))
    .option('--cache-dir <dir>', 'per-tensor cache: re-quantize only tensors whose content changed since a previous run')
    .action((model: string, o) =>
      runCommand(async () => {
        const progress = createProgressReporter('convert-weight');
        const summary = await convertWeight({
          source: model,
          quantization: o.quantization,
          output: o.output,
          sourceFormat: o.sourceFormat as SourceFormat,
          modelType: o.modelType,
          threads: o.threads,
          cacheDir: o.cacheDir,
          onProgress: (p) =>
            progress.update(p.bytesTotal ? p.bytesDone / p.bytesTotal : 1, `${p.mbPerSec.toFixed(0)} MB/s, ETA ${Math.ceil(p.etaSeconds)} s  ${p.param}`),
        });
        progress.done();
        out(formatConvertSummary(summary));
      }),
    );
}
