import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { genConfig } from '../../core/gen-config/gen-config';
import { inspectCheckpoint } from '../../core/inspect/inspect';
import { formatInspect } from '../../core/inspect/format';
import { convertWeight, formatConvertSummary } from '../../core/weights/convert';
import { compile } from '../../core/compiler/compile';
import { formatValidateReport, validate } from '../../core/runtime/validate';
import { info, out, runCommand } from '../output';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const DEMO_MODEL_DIR = path.join(REPO_ROOT, 'examples', 'pycode-6m');
const DEMO_PROMPT = 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""';

/**
 * The README's main job: the whole workflow on the embedded demo model (a 5.8M-parameter Llama trained on Python):
 * inspect → gen-config → convert-weight → compile (cpu) → validate, once exact (q0f32 against the transformers
 * reference logits and greedy tokens) and once quantized (q4f16_1, printing the Python it writes).
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Run the whole workflow on the embedded demo model (examples/pycode-6m) and print the code it writes')
    .option('-o, --output <dir>', 'where to write the artifacts', path.join(REPO_ROOT, 'examples', 'pycode-6m', 'out'))
    .option('--prompt <text>', 'the code to continue', DEMO_PROMPT)
    .option('--max-tokens <n>', 'tokens to generate', (v: string) => Number(v), 64)
    .action((o) =>
      runCommand(async () => {
        const started = Date.now();
        info(`[1/5] inspect ${path.relative(process.cwd(), DEMO_MODEL_DIR) || DEMO_MODEL_DIR}`);
        out(formatInspect(inspectCheckpoint(DEMO_MODEL_DIR)));
        let ok = true;
        let step = 2;
        for (const quantization of ['q0f32', 'q4f16_1']) {
          const dir = path.join(o.output, quantization);
          fs.mkdirSync(dir, { recursive: true });
          info(`[${step++}/5] ${quantization}: gen-config, convert-weight, compile --device cpu`);
          const cfg = genConfig({ source: DEMO_MODEL_DIR, quantization, convTemplate: 'LM', output: dir });
          out(`  gen-config     ${cfg.configPath}`);
          out(`  ${formatConvertSummary(await convertWeight({ source: DEMO_MODEL_DIR, quantization, output: dir }))}`);
          const lib = compile({ chatConfigPath: dir, device: 'cpu', output: path.join(dir, `pycode-6m-${quantization}-cpu.so`) });
          out(`  compile        ${lib.library}${lib.cacheHit ? ' (unchanged, reused)' : ''}`);
          info(`[${step++}/5] ${quantization}: validate`);
          const exact = quantization === 'q0f32';
          const res = await validate({
            modelDir: dir,
            modelLib: lib.library,
            device: 'cpu',
            prompt: o.prompt,
            maxTokens: o.maxTokens,
            // The exact build must reproduce transformers' logits and greedy continuation; the 4-bit one writes code.
            reference: exact ? path.join(DEMO_MODEL_DIR, 'expected.safetensors') : undefined,
            json: path.join(dir, 'validate.json'),
          });
          out(formatValidateReport(res.report, { tolerance: res.tolerance }));
          out(`\n--- ${quantization} continues the prompt ---\n${res.prompt}${res.text}\n---`);
          ok &&= res.report.ok;
        }
        info(`demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s; artifacts in ${o.output}`);
        if (!ok) process.exitCode = 1;
      }),
    );
}
