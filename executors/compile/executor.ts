import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { compile } from '../../core/compiler/compile';
import { CompileOptionsSchema } from '../../schema/executors';
import { artifactPaths } from '../../schema/load-model-file';
import { dispatch } from '../shared/dispatch';
import { hardwareOf, modelSpecOf, need } from '../shared/model-context';
import { formatBytes, log, parseOptions, runStage, seconds } from '../shared/run-stage';

export default async function compileExecutor(raw: unknown, context: ExecutorContext): Promise<{ success: boolean }> {
  return runStage('compile', context, () => {
    const o = parseOptions(CompileOptionsSchema, raw, 'compile');
    const spec = modelSpecOf(context.root, o.model);
    if (o.dispatch) {
      return dispatch({ stage: 'compile', spec: need(spec ?? undefined, 'model', 'compile'), target: o.target, device: o.device, quantization: o.quantization }, context);
    }
    const q = need(o.quantization, 'quantization', 'compile');
    const hw = hardwareOf(spec, o.target, o.device);
    const modelDir = path.resolve(context.root, o.modelDir ?? (spec ? artifactPaths.modelDir(spec, q) : need<string>(undefined, 'modelDir', 'compile')));
    const output = path.resolve(context.root, o.output ?? (spec ? artifactPaths.library(spec, q, hw) : need<string>(undefined, 'output', 'compile')));
    const started = Date.now();
    log(`compile ${q} ${hw.name}: ${hw.device}, ${o.opt ?? hw.opt ?? 'O2'} …`);
    const r = compile({ chatConfigPath: modelDir, device: hw.device, opt: o.opt ?? hw.opt, output });
    const hash = String(r.metadata.model_config_hash ?? '').slice(0, 12);
    log(
      `compile ${q} ${hw.name}: ${path.relative(context.root, r.library)} (${formatBytes(fs.statSync(r.library).size)}, model_config ${hash}) ` +
        `in ${seconds(Date.now() - started)}${r.cacheHit ? ' (toolchain build cache hit)' : ''}`,
    );
    return true;
  });
}
