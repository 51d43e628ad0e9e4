import * as path from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { validate } from '../../core/runtime/validate';
import { materialiseDir } from '../../core/store/publish';
import { ValidateOptionsSchema } from '../../schema/executors';
import { artifactPaths } from '../../schema/load-model-file';
import { dispatch } from '../shared/dispatch';
import { hardwareOf, modelSpecOf, need } from '../shared/model-context';
import { log, parseOptions, runStage, seconds } from '../shared/run-stage';

export default async function validateExecutor(raw: unknown, context: ExecutorContext): Promise<{ success: boolean }> {
  return runStage('validate', context, async () => {
    const o = parseOptions(ValidateOptionsSchema, raw, 'validate');
    const spec = modelSpecOf(context.root, o.model);
    if (o.dispatch) {
      return dispatch({ stage: 'validate', spec: need(spec ?? undefined, 'model', 'validate'), target: o.target, device: o.device, quantization: o.quantization }, context);
    }
    const q = need(o.quantization, 'quantization', 'validate');
    const hw = hardwareOf(spec, o.target, o.device);
    const settings = spec?.data.validate ?? {};
    const modelFileDir = spec ? path.dirname(path.resolve(context.root, spec.file)) : context.root;
    const reference = o.reference ? path.resolve(context.root, o.reference) : settings.reference ? path.resolve(modelFileDir, settings.reference) : undefined;
    const modelDir = path.resolve(context.root, o.modelDir ?? (spec ? artifactPaths.modelDir(spec, q) : need<string>(undefined, 'modelDir', 'validate')));
    const modelLib = path.resolve(context.root, o.modelLib ?? (spec ? artifactPaths.library(spec, q, hw) : need<string>(undefined, 'modelLib', 'validate')));
    const report = path.resolve(context.root, o.report ?? (spec ? artifactPaths.report(spec, q, hw) : need<string>(undefined, 'report', 'validate')));
    const started = Date.now();
    // After a cache hit on a fresh machine only the store manifest is here: lay the shards out first.
    const restored = await materialiseDir(modelDir);
    if (restored) log(`validate: materialised the weight shards of ${path.relative(context.root, modelDir)} from the weight store`);
    const r = await validate({
      modelDir,
      modelLib,
      device: hw.device.split(':')[0],
      prompt: o.prompt ?? settings.prompt,
      maxTokens: o.maxTokens ?? settings.maxTokens,
      reference,
      tolerance: o.tolerance ?? settings.tolerance,
      template: o.template ?? settings.template,
      json: report,
    });
    if (r.prompt !== null) log(`prompt: ${JSON.stringify(r.prompt)}\noutput: ${JSON.stringify(r.text)}`);
    const ref = r.report.reference;
    const refText = ref
      ? `max |Δlogit| ${ref.max_abs_logit_error.toExponential(2)} (≤ ${r.tolerance.maxAbsLogitError}), argmax agreement ${(ref.argmax_agreement * 100).toFixed(1)}%, greedy ${ref.greedy_match ? 'match' : 'differs'}; `
      : '';
    log(
      `validate ${q} ${hw.name}: ${r.report.ok ? 'PASS' : 'FAIL'} — ${refText}prefill ${r.report.prefill_tok_s.toFixed(0)} tok/s, decode ${r.report.decode_tok_s.toFixed(0)} tok/s ` +
        `→ ${path.relative(context.root, report)} in ${seconds(Date.now() - started)}`,
    );
    return r.report.ok;
  });
}
