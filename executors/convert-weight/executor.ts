import * as path from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { convertWeight } from '../../core/weights/convert';
import { publishDir } from '../../core/store/publish';
import { STORE_MANIFEST_FILE } from '../../schema/store-manifest';
import { ConvertWeightOptionsSchema } from '../../schema/executors';
import { artifactPaths } from '../../schema/load-model-file';
import { modelSpecOf, need, resolveSource } from '../shared/model-context';
import { progressLine } from '../shared/progress';
import { formatBytes, log, parseOptions, runStage } from '../shared/run-stage';

export default async function convertWeightExecutor(raw: unknown, context: ExecutorContext): Promise<{ success: boolean }> {
  return runStage('convert-weight', context, async () => {
    const o = parseOptions(ConvertWeightOptionsSchema, raw, 'convert-weight');
    const spec = modelSpecOf(context.root, o.model);
    const source = resolveSource(context.root, o.source, spec, 'convert-weight');
    const output = path.resolve(context.root, o.output ?? (spec ? artifactPaths.modelDir(spec, o.quantization) : need<string>(undefined, 'output', 'convert-weight')));
    const sourceFormat = o.sourceFormat ?? spec?.data.sourceFormat;
    const progress = progressLine(`convert-weight ${o.quantization}`);
    const s = await convertWeight({
      source,
      quantization: o.quantization,
      output,
      sourceFormat,
      modelType: o.modelType ?? spec?.data.modelType,
      threads: o.threads,
      onProgress: (p) =>
        progress.update(p.bytesTotal ? p.bytesDone / p.bytesTotal : 1, `${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}, ${p.mbPerSec.toFixed(0)} MB/s${p.param ? `, ${p.param}` : ''}`),
    });
    progress.done();
    if (spec?.data.weightStore) {
      // Shards go into the content-addressed store (hard-linked, so they stay usable here); Nx caches the manifest.
      const m = await publishDir(output);
      log(`convert-weight ${o.quantization}: ${m.files.length} shard(s) in the weight store (${STORE_MANIFEST_FILE})`);
    }
    const reuse = s.reusedParams ? `, ${s.reusedParams}/${s.reusedParams + s.computedParams} tensors reused` : '';
    log(
      `convert-weight ${s.quantization}: ${s.paramCount} tensors in ${s.shardCount} shard(s), ${formatBytes(s.outputBytes)} ` +
        `(${s.bitsPerParam.toFixed(2)} bits/param) from ${formatBytes(s.sourceBytes)} in ${s.seconds.toFixed(2)} s${reuse} → ${path.relative(context.root, output)}`,
    );
    return true;
  });
}
