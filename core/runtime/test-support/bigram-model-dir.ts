import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadTokenizer } from '../tokenizer';
import { buildBigramLibrary, BigramLibraryOptions } from './build-bigram-library';
import { LM_TEMPLATE, TestTensor, writeTestChatConfig, writeTestWeights } from './write-model-dir';

/**
 * A complete model directory + library around the bigram test model, using the demo model's real
 * byte-level tokenizer (vocab 4096, eos 0): greedy generation from the first token of `text` walks
 * through the tokens of `text` and then emits eos, so expected outputs are known without running anything.
 */

export const DEMO_DIR = path.resolve(__dirname, '../../../examples/pycode-6m');
export const V = 4096;
export const EOS = 0;

/** Small, non-bf16-exact biases, below the gain, so that greedy follows the chain. */
export function biasValues(): number[] {
  return Array.from({ length: V }, (_, j) => ((j * 37) % 100) / 1000 - 0.05);
}

export interface BigramModel {
  modelDir: string;
  lib: string;
  chain: number[];
}

export function chainTokens(text: string): number[] {
  const tok = loadTokenizer(DEMO_DIR, { token_postproc_method: 'byte_level', prepend_space_in_encode: false, strip_space_in_decode: false }, V);
  const ids = tok.encode(text);
  if (new Set(ids).size !== ids.length || ids.includes(EOS)) throw new Error(`test text ${JSON.stringify(text)} repeats a token; pick another`);
  return ids;
}

export function bigramTensors(chain: number[], overrides: Partial<Record<string, Partial<TestTensor>>> = {}): TestTensor[] {
  const next = new Array(V).fill(EOS);
  chain.forEach((t, i) => (next[t] = i + 1 < chain.length ? chain[i + 1] : EOS));
  const tensors: TestTensor[] = [
    { name: 'next', dtype: 'int32', shape: [V], values: next },
    { name: 'bias', dtype: 'float32', shape: [V], values: biasValues() },
    { name: 'gain', dtype: 'float16', shape: [1], values: [0x4400] }, // 4.0
  ];
  return tensors
    .map((t) => ({ ...t, ...overrides[t.name] }))
    .filter((t) => !(overrides[t.name] && (overrides[t.name] as { drop?: boolean }).drop));
}

export function bigramChatConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0.1.0',
    model_type: 'bigram',
    quantization: 'q0f32',
    model_config: { vocab_size: V, context_window_size: 64, prefill_chunk_size: 16 },
    vocab_size: V,
    context_window_size: 64,
    sliding_window_size: -1,
    prefill_chunk_size: 16,
    attention_sink_size: -1,
    tensor_parallel_shards: 1,
    pipeline_parallel_stages: 1,
    active_vocab_size: V,
    temperature: 0.7,
    presence_penalty: 0.0,
    frequency_penalty: 0.0,
    repetition_penalty: 1.0,
    top_p: 0.95,
    tokenizer_files: ['tokenizer.json', 'tokenizer_config.json'],
    tokenizer_info: { token_postproc_method: 'byte_level', prepend_space_in_encode: false, strip_space_in_decode: false },
    conv_template: { ...LM_TEMPLATE, system_prefix_token_ids: null, stop_token_ids: [] },
    pad_token_id: 0,
    bos_token_id: 0,
    eos_token_id: EOS,
    model_task: 'chat',
    embedding_metadata: null,
    ...extra,
  };
}

export function makeBigramModel(
  root: string,
  text: string,
  o: { lib?: Partial<BigramLibraryOptions>; config?: Record<string, unknown>; tensors?: TestTensor[]; libPath?: string } = {},
): BigramModel {
  const modelDir = path.join(root, 'model');
  const chain = chainTokens(text);
  writeTestWeights(modelDir, o.tensors ?? bigramTensors(chain));
  writeTestChatConfig(modelDir, bigramChatConfig(o.config));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(DEMO_DIR, f), path.join(modelDir, f));
  const lib = o.libPath ?? buildBigramLibrary({ outDir: path.join(root, 'lib'), vocabSize: V, contextWindowSize: 64, prefillChunkSize: 16, ...o.lib });
  return { modelDir, lib, chain };
}
