import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NxMlcError } from '../support/errors';
import { openModel } from './open-model';
import { buildBigramLibrary, whyNoCompiler } from './test-support/build-bigram-library';
import { bigramTensors, chainTokens, makeBigramModel, V } from './test-support/bigram-model-dir';

const noCompiler = whyNoCompiler();
if (noCompiler) console.log(`skipping agreement tests: ${noCompiler}`);
const describeIf = noCompiler ? describe.skip : describe;

const TEXT = 'def greet(name):';

describeIf('agreement of library, mlc-chat-config.json and tensor-cache.json', () => {
  let root: string;
  let lib: string;
  let n = 0;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nxmlc-agree-'));
    lib = buildBigramLibrary({ outDir: path.join(root, 'lib'), vocabSize: V, contextWindowSize: 64, prefillChunkSize: 16 });
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  /** Open a model made with the given deviations; return the error it raises. */
  function openError(o: Parameters<typeof makeBigramModel>[2]): NxMlcError {
    const m = makeBigramModel(path.join(root, `case${n++}`), TEXT, { libPath: lib, ...o });
    try {
      openModel({ modelDir: m.modelDir, modelLib: m.lib }).close();
    } catch (e) {
      expect(e).toBeInstanceOf(NxMlcError);
      return e as NxMlcError;
    }
    throw new Error('expected an NxMlcError');
  }

  it('a matching set opens', () => {
    const m = makeBigramModel(path.join(root, 'good'), TEXT, { libPath: lib });
    const model = openModel({ modelDir: m.modelDir, modelLib: m.lib });
    expect(model.contextWindowSize).toBe(64);
    expect(model.prefillChunkSize).toBe(16);
    model.close();
  });

  it('quantization mismatch names both sides and the files', () => {
    const other = buildBigramLibrary({ outDir: path.join(root, 'lib-q0f16'), vocabSize: V, quantization: 'q0f16' });
    const e = openError({ libPath: other, config: { quantization: 'q4f16_1' } });
    expect(e.message).toMatch(/The weights are q4f16_1 but the library was compiled for q0f16/);
    expect(e.field).toBe('quantization');
    expect(e.file).toContain('mlc-chat-config.json');
    expect(e.file).toContain(other);
    expect(e.fix).toMatch(/nx-mlc compile/);
  });

  it('model_type and model_config mismatches', () => {
    expect(openError({ config: { model_type: 'llama' } }).message).toMatch(/model is llama but the library was compiled for bigram/);
    const e = openError({ config: { model_config: { vocab_size: 1000, context_window_size: 64, prefill_chunk_size: 16 } } });
    expect(e.field).toBe('model_config.vocab_size');
  });

  it('a runtime-chosen field (context window) may differ from the library', () => {
    const m = makeBigramModel(path.join(root, 'ctx'), TEXT, {
      libPath: lib,
      config: { context_window_size: 32, model_config: { vocab_size: V, context_window_size: 32, prefill_chunk_size: 16 } },
    });
    const model = openModel({ modelDir: m.modelDir, modelLib: m.lib });
    expect(model.contextWindowSize).toBe(32);
    expect(model.instance.seqLen()).toBe(0);
    model.close();
  });

  it('a missing param is named', () => {
    const chain = chainTokens(TEXT);
    const e = openError({ tensors: bigramTensors(chain).filter((t) => t.name !== 'gain') });
    expect(e.message).toMatch(/The weights lack the param gain \(float16 \[1\]\)/);
    expect(e.file).toContain('tensor-cache.json');
  });

  it('shape and dtype mismatches are named', () => {
    const chain = chainTokens(TEXT);
    const shape = openError({ tensors: bigramTensors(chain, { bias: { shape: [V / 2, 2] } }) });
    expect(shape.message).toMatch(/Param bias has shape \[2048,2\] in the weights but the library expects \[4096\]/);
    const dtype = openError({ tensors: bigramTensors(chain, { gain: { dtype: 'float32', values: [4] } }) });
    expect(dtype.message).toMatch(/Param gain is float32 in the weights but the library expects float16/);
  });

  it('a truncated shard is caught before loading', () => {
    const m = makeBigramModel(path.join(root, 'trunc'), TEXT, { libPath: lib });
    const shard = path.join(m.modelDir, 'params_shard_0.bin');
    fs.truncateSync(shard, fs.statSync(shard).size - 10);
    expect(() => openModel({ modelDir: m.modelDir, modelLib: m.lib })).toThrow(/weight shard has \d+ bytes but tensor-cache.json says/);
  });

  it('a context window above the compiled maximum is refused', () => {
    const m = makeBigramModel(path.join(root, 'big'), TEXT, { libPath: lib });
    expect(() => openModel({ modelDir: m.modelDir, modelLib: m.lib, contextWindowSize: 128 })).toThrow(/larger than the library's compiled maximum 64/);
  });

  it('missing artifacts say which stage to run', () => {
    const empty = path.join(root, 'empty');
    fs.mkdirSync(empty);
    expect(() => openModel({ modelDir: empty, modelLib: lib })).toThrow(/gen-config/);
    fs.copyFileSync(path.join(root, 'good/model/mlc-chat-config.json'), path.join(empty, 'mlc-chat-config.json'));
    expect(() => openModel({ modelDir: empty, modelLib: lib })).toThrow(/convert-weight/);
  });
});
