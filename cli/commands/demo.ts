import * as path from 'node:path';
import { Command } from 'commander';
import { genConfig } from '../../core/gen-config/gen-config';
import { inspectCheckpoint } from '../../core/inspect/inspect';
import { formatInspect } from '../../core/inspect/format';
import { info, out, runCommand } from '../output';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const DEMO_MODEL_DIR = path.join(REPO_ROOT, 'examples', 'pycode-6m');

/**
 * The README's main job: the whole workflow on the embedded demo model (a 5.8M-parameter Llama trained on Python).
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Run the whole workflow on the embedded demo model (examples/pycode-6m) and print what it writes')
    .option('-o, --output <dir>', 'where to write the artifacts', path.join(REPO_ROOT, 'examples', 'pycode-6m', 'out'))
    .option('--quantization <q>', 'quantization for the demo', 'q4f16_1')
    .action((o) =>
      runCommand(async () => {
        const started = Date.now();
        info(`[1/2] inspect ${DEMO_MODEL_DIR}`);
        out(formatInspect(inspectCheckpoint(DEMO_MODEL_DIR)));
        info(`[2/2] gen-config → ${o.output}`);
        const res = genConfig({ source: DEMO_MODEL_DIR, quantization: o.quantization, convTemplate: 'LM', output: o.output });
        out(`wrote ${res.configPath}`);
        out('not built yet: convert-weight (#3), compile + validate (#4). The demo runs them as soon as they exist.');
        info(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }),
    );
}
