import * as fs from 'node:fs';
import * as path from 'node:path';
import { NxMlcError } from '../support/errors';
import { HfConfig, readHfConfig, readJsonFile } from './config';
import { readSafetensorsHeader } from './safetensors';
import { TensorRef } from './tensor-ref';
import { assertNotLfsPointer } from './lfs';

/**
 * A Hugging Face checkpoint directory: config plus a lazily readable view of its weights.
 * Weight discovery follows MLC-LLM's loader (spec §4.5), because it decides the order in which tensors are emitted:
 * `pytorch_model.bin.index.json`, `pytorch_model.bin`, `model.safetensors.index.json`, `model.safetensors`
 * (PyTorch first when both exist, as MLC does; pass an explicit format to choose).
 */

export type WeightFormat = 'safetensors' | 'torch';
export type SourceFormat = 'auto' | 'huggingface-safetensor' | 'huggingface-torch' | 'awq';

export interface Checkpoint {
  dir: string;
  config: HfConfig;
  weightFormat: WeightFormat;
  /** Index file used, if the checkpoint is sharded. */
  indexFile?: string;
  /** Weight files in order of first appearance in the weight map. */
  weightFiles: string[];
  /** Every source tensor with its file, in MLC's source order (index weight_map order, or file-offset order). */
  weightMap: { name: string; file: string }[];
  /** Positioned reference to one tensor (throws NxMlcError for an unknown name). */
  tensor(name: string): TensorRef;
  /** Total bytes of all weight files. */
  totalBytes: number;
}

const CANDIDATES: { file: string; format: WeightFormat; index: boolean }[] = [
  { file: 'pytorch_model.bin.index.json', format: 'torch', index: true },
  { file: 'pytorch_model.bin', format: 'torch', index: false },
  { file: 'model.safetensors.index.json', format: 'safetensors', index: true },
  { file: 'model.safetensors', format: 'safetensors', index: false },
];

type TorchOpener = (file: string) => TensorRef[];
let torchOpener: TorchOpener | undefined;

/** Loaded on first use so that safetensors-only users never parse pickle code paths. */
function openTorch(file: string): TensorRef[] {
  if (!torchOpener) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    torchOpener = (require('./torch') as { openTorchBin: TorchOpener }).openTorchBin;
  }
  return torchOpener(file);
}

function openWeightFile(file: string, format: WeightFormat): TensorRef[] {
  assertNotLfsPointer(file);
  if (format === 'safetensors') return readSafetensorsHeader(file).tensors.sort((a, b) => a.offset - b.offset);
  return openTorch(file);
}

export function openCheckpoint(dir: string, sourceFormat: SourceFormat = 'auto'): Checkpoint {
  const config = readHfConfig(dir);
  const wanted = sourceFormat === 'huggingface-safetensor' ? 'safetensors' : sourceFormat === 'huggingface-torch' ? 'torch' : undefined;
  const found = CANDIDATES.find((c) => (!wanted || c.format === wanted) && fs.existsSync(path.join(dir, c.file)));
  if (!found) {
    const present = fs.readdirSync(dir).filter((f) => /\.(safetensors|bin|pt|pth|gguf)$/.test(f));
    const looked = CANDIDATES.filter((c) => !wanted || c.format === wanted).map((c) => c.file).join(', ');
    throw new NxMlcError(`No weights found in ${dir} (looked for ${looked})`, {
      file: dir,
      fix: present.length
        ? `Found ${present.join(', ')}, which are not named as Hugging Face writes them; rename them or add a model.safetensors.index.json.`
        : 'Download the weight files too (e.g. `huggingface-cli download <repo-id>`), not only the configs.',
    });
  }
  const format = found.format;
  const refs = new Map<string, TensorRef>();
  const weightMap: { name: string; file: string }[] = [];
  const weightFiles: string[] = [];
  let indexFile: string | undefined;

  if (found.index) {
    indexFile = path.join(dir, found.file);
    const index = readJsonFile(indexFile, found.file) as { weight_map?: Record<string, string> };
    if (!index || typeof index !== 'object' || !index.weight_map || typeof index.weight_map !== 'object') {
      throw new NxMlcError('The index file has no "weight_map" object', { file: indexFile, field: 'weight_map', fix: 'Download the index file again.' });
    }
    const missing = [...new Set(Object.values(index.weight_map))].filter((f) => !fs.existsSync(path.join(dir, f)));
    if (missing.length) {
      throw new NxMlcError(`The index names ${missing.length} weight file(s) that are not in ${dir}: ${missing.slice(0, 5).join(', ')}`, {
        file: indexFile,
        field: 'weight_map',
        fix: 'Download the missing shards (all files the index lists), or regenerate the index.',
      });
    }
    const opened = new Map<string, Map<string, TensorRef>>();
    for (const [name, rel] of Object.entries(index.weight_map)) {
      const file = path.join(dir, rel);
      if (!opened.has(file)) {
        opened.set(file, new Map(openWeightFile(file, format).map((t) => [t.name, t])));
        weightFiles.push(file);
      }
      const ref = opened.get(file)!.get(name);
      if (!ref) {
        throw new NxMlcError(`The index maps tensor "${name}" to ${rel}, which does not contain it`, {
          file: indexFile,
          field: `weight_map.${name}`,
          fix: 'The index and the shards disagree: download them again from the same revision.',
        });
      }
      refs.set(name, ref);
      weightMap.push({ name, file });
    }
  } else {
    const file = path.join(dir, found.file);
    weightFiles.push(file);
    for (const t of openWeightFile(file, format)) {
      refs.set(t.name, t);
      weightMap.push({ name: t.name, file });
    }
  }
  if (weightMap.length === 0) {
    throw new NxMlcError('The checkpoint contains no tensors', { file: indexFile ?? weightFiles[0], fix: 'Download the weights again.' });
  }
  const totalBytes = weightFiles.reduce((s, f) => s + fs.statSync(f).size, 0);
  return {
    dir,
    config,
    weightFormat: format,
    indexFile,
    weightFiles,
    weightMap,
    totalBytes,
    tensor(name: string): TensorRef {
      const r = refs.get(name);
      if (!r) throw new NxMlcError(`The checkpoint has no tensor named "${name}"`, { file: dir, fix: 'Check that the checkpoint matches its config.json (architecture and size).' });
      return r;
    },
  };
}
