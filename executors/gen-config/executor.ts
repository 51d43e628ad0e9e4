import * as path from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { genConfig } from '../../core/gen-config/gen-config';
import { resolveCompileConfig } from '../../core/compiler/config';
import { writeFileAtomic } from '../../core/support/atomic';
import { GenConfigOptionsSchema } from '../../schema/executors';
import { artifactPaths, MODEL_LIB_INPUTS_FILE } from '../../schema/load-model-file';
import { canonical } from '../../schema/canonical-json';
import { modelSpecOf, need, resolveSource } from '../shared/model-context';
import { log, parseOptions, runStage, seconds } from '../shared/run-stage';

/**
 * Everything a compiled library depends on from mlc-chat-config.json — what compile itself reads
 * (resolveCompileConfig) — as canonical JSON. compile's cache key uses this file instead of the whole
 * config, so a new template or sampling default never recompiles.
 */
export function modelLibInputs(chatConfigPath: string): string {
  const r = resolveCompileConfig(chatConfigPath, {});
  return `${canonical({ model_type: r.modelType, quantization: r.quantization, model_config: r.modelConfig, active_vocab_size: r.activeVocabSize })}\n`;
}

export default async function genConfigExecutor(raw: unknown, context: ExecutorContext): Promise<{ success: boolean }> {
  return runStage('gen-config', context, () => {
    const o = parseOptions(GenConfigOptionsSchema, raw, 'gen-config');
    const spec = modelSpecOf(context.root, o.model);
    const source = resolveSource(context.root, o.source, spec, 'gen-config');
    const convTemplate = need(o.convTemplate ?? spec?.data.convTemplate, 'convTemplate', 'gen-config');
    const output = path.resolve(context.root, o.output ?? (spec ? artifactPaths.modelDir(spec, o.quantization) : need<string>(undefined, 'output', 'gen-config')));
    const started = Date.now();
    const res = genConfig({
      source,
      quantization: o.quantization,
      convTemplate,
      output,
      overrides: o.overrides ?? spec?.data.overrides,
      modelType: o.modelType ?? spec?.data.modelType,
    });
    writeFileAtomic(path.join(output, MODEL_LIB_INPUTS_FILE), modelLibInputs(res.configPath));
    for (const w of res.warnings) log(`warning: ${w}`);
    const chat = res.chatConfig as Record<string, unknown>;
    log(
      `gen-config ${o.quantization}: ${res.modelType}, template ${convTemplate}, context ${String(chat.context_window_size)}, ` +
        `${res.tokenizerFiles.length} tokenizer file(s) → ${path.relative(context.root, output) || '.'} in ${seconds(Date.now() - started)}`,
    );
    return true;
  });
}
