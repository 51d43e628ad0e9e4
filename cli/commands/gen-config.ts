import { Command } from 'commander';
import { genConfig } from '../../core/gen-config/gen-config';
import { ModelConfigOverrides } from '../../core/arch/model-config';
import { info, out, parseIntOption, runCommand } from '../output';

export function registerGenConfig(program: Command): void {
  program
    .command('gen-config')
    .description('Write mlc-chat-config.json (byte-identical to `mlc_llm gen_config`) and copy the tokenizer files')
    .argument('<model>', 'Hugging Face checkpoint directory (or its config.json)')
    .requiredOption('--quantization <q>', 'quantization scheme, e.g. q4f16_1, q0f16, q3f16_1')
    .requiredOption('--conv-template <name>', 'conversation template name, or "auto" to match the checkpoint\'s own chat_template')
    .requiredOption('-o, --output <dir>', 'output directory')
    .option('--model-type <type>', 'architecture to use instead of config.json\'s model_type')
    .option('--context-window-size <n>', 'override the context window', parseIntOption('context-window-size'))
    .option('--sliding-window-size <n>', 'override the sliding window (architectures that have one)', parseIntOption('sliding-window-size'))
    .option('--prefill-chunk-size <n>', 'override the prefill chunk size', parseIntOption('prefill-chunk-size'))
    .option('--attention-sink-size <n>', 'override the attention sink size (sliding-window models)', parseIntOption('attention-sink-size'))
    .option('--tensor-parallel-shards <n>', 'number of tensor-parallel shards', parseIntOption('tensor-parallel-shards'))
    .option('--pipeline-parallel-stages <n>', 'number of pipeline stages', parseIntOption('pipeline-parallel-stages'))
    .option('--max-batch-size <n>', 'maximum batch size (MLC default 128)', parseIntOption('max-batch-size'), 128)
    .action((model: string, o) =>
      runCommand(() => {
        const overrides: ModelConfigOverrides = {
          context_window_size: o.contextWindowSize,
          sliding_window_size: o.slidingWindowSize,
          prefill_chunk_size: o.prefillChunkSize,
          attention_sink_size: o.attentionSinkSize,
          tensor_parallel_shards: o.tensorParallelShards,
          pipeline_parallel_stages: o.pipelineParallelStages,
          max_batch_size: o.maxBatchSize,
        };
        const convTemplate: string = o.convTemplate;
        const res = genConfig({ source: model, quantization: o.quantization, convTemplate, output: o.output, overrides, modelType: o.modelType });
        for (const w of res.warnings) info(`warning: ${w}`);
        out(`gen-config: ${res.configPath} (${res.modelType}, ${o.quantization}, template ${res.convTemplate}; tokenizer files: ${res.tokenizerFiles.join(', ') || 'none'})`);
      }),
    );
}
