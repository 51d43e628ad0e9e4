import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelLibrary, NativeError } from './library';
import { buildBigramLibrary, whyNoCompiler } from './test-support/build-bigram-library';

const noCompiler = whyNoCompiler();
if (noCompiler) console.log(`skipping library tests: ${noCompiler}`);
const describeIf = noCompiler ? describe.skip : describe;

describeIf('ModelLibrary (bigram test library through koffi)', () => {
  let dir: string;
  let lib: string;
  const V = 8;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nxmlc-lib-'));
    lib = buildBigramLibrary({ outDir: dir, vocabSize: V, contextWindowSize: 6 });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function ready() {
    const m = ModelLibrary.load(lib).create();
    m.setParam('next', 'int32', [V], new Uint8Array(Int32Array.from([1, 2, 3, 4, 5, 6, 7, 0]).buffer));
    m.setParam('bias', 'float32', [V], new Uint8Array(Float32Array.from([0, 0.5, 0, 0, 0, 0, 0, -1]).buffer));
    m.setParam('gain', 'float16', [1], new Uint8Array(Uint16Array.from([0x4000]).buffer)); // 2.0
    m.finalize();
    return m;
  }

  it('reads the metadata and binds every ABI function', () => {
    const l = ModelLibrary.load(lib);
    expect(l.metadata.abi_version).toBe(1);
    expect(l.metadata.params.map((p) => p.name)).toEqual(['next', 'bias', 'gain']);
  });

  it('prefills with all logits, decodes, counts and resets the sequence', () => {
    const m = ready();
    const all = m.prefill([0, 3], true);
    expect(all.length).toBe(2 * V);
    // After token 0 the next is 1: logit = bias 0.5 + gain 2.
    expect(Array.from(all.subarray(0, V))).toEqual([0, 2.5, 0, 0, 0, 0, 0, -1]);
    expect(Array.from(all.subarray(V))).toEqual([0, 0.5, 0, 0, 2, 0, 0, -1]);
    expect(m.seqLen()).toBe(2);
    expect(Array.from(m.decode(7))).toEqual([2, 0.5, 0, 0, 0, 0, 0, -1]);
    expect(m.seqLen()).toBe(3);
    m.reset();
    expect(m.seqLen()).toBe(0);
    m.destroy();
  });

  it('surfaces native errors with the library message', () => {
    const m = ready();
    m.prefill([1, 2, 3, 4, 5, 6]);
    expect(() => m.decode(1)).toThrow(/context window full/);
    expect(() => m.decode(1)).toThrow(NativeError);
    const fresh = ModelLibrary.load(lib).create();
    expect(() => fresh.prefill([1])).toThrow(/not finalized/);
    expect(() => fresh.setParam('next', 'float32', [V], new Uint8Array(4 * V))).toThrow(/expected int32/);
  });

  it('reports create failures (context beyond the compiled maximum)', () => {
    expect(() => ModelLibrary.load(lib).create({ contextWindowSize: 100 })).toThrow(/exceeds the compiled maximum 6/);
  });

  it('refuses a library without manifest, or of another ABI version', () => {
    const copy = path.join(dir, 'nomanifest.so');
    fs.copyFileSync(lib, copy);
    expect(() => ModelLibrary.load(copy)).toThrow(/no manifest/);
    const other = buildBigramLibrary({ outDir: dir, vocabSize: V, abiVersion: 2, name: 'abi2' });
    expect(() => ModelLibrary.load(other)).toThrow(/ABI version 2, this runtime speaks version 1/);
    expect(() => ModelLibrary.load(path.join(dir, 'missing.so'))).toThrow(/does not exist/);
  });
});
