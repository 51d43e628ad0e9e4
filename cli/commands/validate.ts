import { Command } from 'commander';
import { DEFAULT_MAX_TOKENS, formatValidateReport, validate } from '../../core/runtime/validate';
import { info, out, parseIntOption, runCommand } from '../output';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('Check that library, config and weights agree, run a prompt, and compare against reference logits')
    .argument('<model>', 'directory with mlc-chat-config.json, tensor-cache.json and the shards')
    .requiredOption('--model-lib <lib>', 'compiled model library (.so)')
    .option('--device <d>', 'device to run on', 'cpu')
    .option('--prompt <text>', 'prompt to run (raw text unless --template)')
    .option('--template', 'wrap the prompt in the conversation template')
    .option('--max-tokens <n>', `tokens to generate (default ${DEFAULT_MAX_TOKENS})`, parseIntOption('max-tokens'))
    .option('--reference <file>', 'safetensors with input_ids, logits and optionally greedy (as fixtures/hf-tiny/*/expected.safetensors)')
    .option('--tolerance <x>', 'max abs logit error allowed (default per quantization)', (v: string) => Number(v))
    .option('--threads <n>', 'CPU threads', parseIntOption('threads'))
    .option('--json <file>', 'write the report as JSON')
    .action((model: string, o) =>
      runCommand(async () => {
        let streamed = false;
        const res = await validate({
          modelDir: model,
          modelLib: o.modelLib,
          device: o.device,
          prompt: o.prompt,
          maxTokens: o.maxTokens,
          reference: o.reference,
          tolerance: o.tolerance,
          template: !!o.template,
          numThreads: o.threads,
          json: o.json,
          onText: (t) => {
            if (!streamed) info('--- generated ---');
            streamed = true;
            process.stdout.write(t);
          },
        });
        if (streamed) process.stdout.write('\n');
        out(formatValidateReport(res.report, { prompt: res.prompt, text: streamed ? null : res.text, tolerance: res.tolerance }));
        if (!res.report.ok) process.exitCode = 1;
      }),
    );
}
