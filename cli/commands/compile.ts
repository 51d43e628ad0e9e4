import { Command } from 'commander';
import { compile } from '../../core/compiler/compile';
import { out, runCommand } from '../output';

export function registerCompile(program: Command): void {
  program
    .command('compile')
    .description('Compile a model library for a hardware target from mlc-chat-config.json (weights are not needed)')
    .argument('<model>', 'mlc-chat-config.json, or the directory holding it')
    .option(
      '--device <d>',
      'cpu (alias llvm; cpu:avx512, cpu:native tune further), cuda (sm_80..sm_90; cuda:sm_90 narrows), webgpu (.mjs module). Recognised, not built yet: metal, vulkan, rocm, iphone, android',
      'cpu',
    )
    .option('--opt <level>', 'O0 (generic kernels only) | O1 | O2 (default, exact float32 on cpu) | O3 (cpu: int8 activations in decode; cuda: newest kernels)', 'O2')
    .option('--overrides <list>', 'e.g. "context_window_size=4096;prefill_chunk_size=512"')
    .option('--debug-dump <dir>', 'also write the generated sources here')
    .requiredOption('-o, --output <lib>', 'library path, e.g. dist/model-cpu.so (its manifest is written to <lib>.json)')
    .action((model: string, o) =>
      runCommand(() => {
        const started = Date.now();
        const res = compile({ chatConfigPath: model, device: o.device, opt: o.opt, overrides: o.overrides, output: o.output, debugDumpDir: o.debugDump });
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        out(`compile: ${res.library} (${String(res.metadata.model_type)}, ${String(res.metadata.quantization)}, ${o.device}) in ${seconds} s${res.cacheHit ? ' (unchanged, reused)' : ''}`);
      }),
    );
}
