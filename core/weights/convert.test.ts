import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSafetensorsHeader, writeSafetensors, TensorToWrite } from '../hf/safetensors';
import { readTensorBytes } from '../hf/tensor-ref';
import { convertWeight, ConvertProgress, formatConvertProgress, formatConvertSummary } from './convert';
import { verifyWeights } from './verify';
import { dequantizeParam, loadMlcParams } from './load';
import { expectedOutput, readOutput, REF_SCHEMES } from './test-support/expected-output';

const ROOT = path.join(__dirname, '..', '..');
const TINY = path.join(ROOT, 'fixtures', 'hf-tiny');
const FIXTURES = ['llama', 'llama-tied', 'mistral', 'qwen2', 'qwen3', 'gemma2', 'phi3'];

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'convert-'))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A copy of a fixture with its tensors edited (dropped, added, replaced) and config.json patched. */
function editedCheckpoint(fixture: string, name: string, edit: (t: TensorToWrite[]) => TensorToWrite[], config: Record<string, unknown> = {}): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  const src = path.join(TINY, fixture);
  const cfg = { ...JSON.parse(fs.readFileSync(path.join(src, 'config.json'), 'utf8')), ...config };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg, null, 2));
  const tensors = readSafetensorsHeader(path.join(src, 'model.safetensors')).tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: new Uint8Array(readTensorBytes(t)) }));
  writeSafetensors(path.join(dir, 'model.safetensors'), edit(tensors));
  return dir;
}

describe('every quantization on every hf-tiny fixture matches the spec reference byte for byte', () => {
  for (const fixture of FIXTURES) {
    test(fixture, async () => {
      for (const scheme of REF_SCHEMES) {
        const out = path.join(tmp, `${fixture}-${scheme.name}`);
        const summary = await convertWeight({ source: path.join(TINY, fixture), quantization: scheme.name, output: out, threads: 1 });
        const got = readOutput(out);
        const want = expectedOutput(path.join(TINY, fixture), scheme);
        expect([...got.tensors.keys()].sort()).toEqual([...want.keys()].sort());
        for (const [name, w] of want) {
          const g = got.tensors.get(name)!;
          expect({ name, scheme: scheme.name, shape: g.shape, dtype: g.dtype }).toEqual({ name, scheme: scheme.name, shape: w.shape, dtype: w.dtype });
          if (!g.bytes.equals(w.bytes)) throw new Error(`${fixture} ${scheme.name}: bytes of ${name} differ from the reference`);
        }
        expect(got.json.metadata.ParamSize).toBe(want.size);
        const logical = [...want.values()].reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1) * (t.dtype === 'float32' || t.dtype === 'uint32' ? 4 : 2), 0);
        expect(got.json.metadata.ParamBytes).toBe(logical);
        expect(summary.paramCount).toBe(want.size);
        expect(verifyWeights(out)).toMatchObject({ ok: true, problems: [] });
        expect(fs.readFileSync(path.join(out, 'ndarray-cache.json'), 'utf8')).toBe(fs.readFileSync(path.join(out, 'tensor-cache.json'), 'utf8'));
        expect(fs.existsSync(path.join(out, 'tensor-cache-b16.json'))).toBe(scheme.model === 'float32');
      }
    });
  }
});

describe('layout and metadata', () => {
  test('llama q4f16_1: MLC names in emission order (file-offset order of model.safetensors), BitsPerParam', async () => {
    const out = path.join(tmp, 'llama-q4f16_1'); // written above
    if (!fs.existsSync(out)) await convertWeight({ source: path.join(TINY, 'llama'), quantization: 'q4f16_1', output: out, threads: 1 });
    const layer = (i: number) => {
      const p = `model.layers.${i}`;
      // HF names sort input_layernorm, mlp.down, mlp.gate, mlp.up, post_attention_layernorm, self_attn.k, o, q, v
      return [`${p}.input_layernorm.weight`, `${p}.mlp.down_proj.q_weight`, `${p}.mlp.down_proj.q_scale`, `${p}.mlp.gate_up_proj.q_weight`, `${p}.mlp.gate_up_proj.q_scale`,
        `${p}.post_attention_layernorm.weight`, `${p}.self_attn.qkv_proj.q_weight`, `${p}.self_attn.qkv_proj.q_scale`, `${p}.self_attn.o_proj.q_weight`, `${p}.self_attn.o_proj.q_scale`];
    };
    const got = readOutput(out);
    expect(got.order).toEqual(['lm_head.q_weight', 'lm_head.q_scale', 'model.embed_tokens.q_weight', 'model.embed_tokens.q_scale', ...layer(0), ...layer(1), 'model.norm.weight']);
    // total_param_num = every source tensor once (single file) = 2·512·64 + 2·(64·64+32·64·2+64·64+3·192·64+2·64) + 64
    const total = 2 * 512 * 64 + 2 * (64 * 64 + 2 * 32 * 64 + 64 * 64 + 3 * 192 * 64 + 2 * 64) + 64;
    expect(got.json.metadata.BitsPerParam).toBe((got.json.metadata.ParamBytes * 8) / total);
    expect(fs.readFileSync(path.join(out, 'tensor-cache.json'), 'utf8')).toMatch(/^\{\n {4}"metadata": \{\n {8}"ParamSize": 25,\n {8}"ParamBytes": \d+\.0,\n/);
  });

  test('a sharded checkpoint emits file by file in index order, with the same bytes', async () => {
    const dir = path.join(tmp, 'llama-sharded');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(TINY, 'llama', 'config.json'), path.join(dir, 'config.json'));
    const all = readSafetensorsHeader(path.join(TINY, 'llama', 'model.safetensors')).tensors;
    const inFirst = (n: string) => n.startsWith('model.layers.1.') || n === 'model.norm.weight' || n === 'lm_head.weight';
    const files = { 'model-00001-of-00002.safetensors': all.filter((t) => inFirst(t.name)), 'model-00002-of-00002.safetensors': all.filter((t) => !inFirst(t.name)) };
    const weightMap: Record<string, string> = {};
    for (const [f, ts] of Object.entries(files)) {
      writeSafetensors(path.join(dir, f), ts.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: new Uint8Array(readTensorBytes(t)) })));
      for (const t of ts) weightMap[t.name] = f;
    }
    const sorted = Object.fromEntries(Object.keys(weightMap).sort().map((k) => [k, weightMap[k]])); // HF writes key-sorted indexes
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: sorted }));
    const out = path.join(tmp, 'llama-sharded-out');
    await convertWeight({ source: dir, quantization: 'q4f16_1', output: out, threads: 1 });
    const got = readOutput(out);
    const single = readOutput(path.join(tmp, 'llama-q4f16_1'));
    // first file (it holds lm_head, the first key): lm_head, layer 1, model.norm; then the second: embed, layer 0
    const l1 = single.order.filter((n) => n.startsWith('model.layers.1.'));
    const l0 = single.order.filter((n) => n.startsWith('model.layers.0.'));
    expect(got.order).toEqual(['lm_head.q_weight', 'lm_head.q_scale', ...l1, 'model.norm.weight', 'model.embed_tokens.q_weight', 'model.embed_tokens.q_scale', ...l0]);
    for (const [n, t] of single.tensors) expect(got.tensors.get(n)!.bytes.equals(t.bytes)).toBe(true);
  });

  test('a torch .bin checkpoint converts to the same bytes as its safetensors twin', async () => {
    const out = path.join(tmp, 'llama-torch');
    await convertWeight({ source: path.join(ROOT, 'fixtures', 'torch-bin', 'llama'), quantization: 'q4f16_0', output: out, threads: 1 });
    const want = expectedOutput(path.join(TINY, 'llama'), REF_SCHEMES.find((s) => s.name === 'q4f16_0')!);
    const got = readOutput(out);
    expect(got.tensors.size).toBe(want.size);
    for (const [n, t] of want) expect(got.tensors.get(n)!.bytes.equals(t.bytes)).toBe(true);
  });

  test('worker threads produce the same shards as the inline path', async () => {
    const a = path.join(tmp, 'qwen3-t1');
    const b = path.join(tmp, 'qwen3-t2');
    await convertWeight({ source: path.join(TINY, 'qwen3'), quantization: 'q4f16_1', output: a, threads: 1 });
    const events: ConvertProgress[] = [];
    await convertWeight({ source: path.join(TINY, 'qwen3'), quantization: 'q4f16_1', output: b, threads: 2, onProgress: (p) => events.push(p) });
    // progress ends with everything done, and never goes backwards
    const last = events[events.length - 1];
    expect(last.bytesDone).toBe(last.bytesTotal);
    expect(events.every((e, i) => i === 0 || e.bytesDone >= events[i - 1].bytesDone)).toBe(true);
    expect(formatConvertProgress(last)).toMatch(/^0\.\d\/0\.\d MB \(100%\), [\d.]+ MB\/s, ETA 0\.0 s$/);
    expect(fs.readFileSync(path.join(b, 'tensor-cache.json'), 'utf8')).toBe(fs.readFileSync(path.join(a, 'tensor-cache.json'), 'utf8'));
  });

  test('loadMlcParams + dequantizeParam give [N, K] float32 for NK and KN layouts alike', async () => {
    const nk = loadMlcParams(path.join(tmp, 'llama-q4f16_1'));
    const kn = loadMlcParams(path.join(tmp, 'llama-q4f16_0'));
    const name = 'model.layers.1.mlp.gate_up_proj.weight';
    const a = dequantizeParam(nk, name, 'q4f16_1');
    const b = dequantizeParam(kn, name, 'q4f16_0');
    expect(a.shape).toEqual([384, 64]);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    // close to the source: gate rows then up rows
    const src = readSafetensorsHeader(path.join(TINY, 'llama', 'model.safetensors')).tensors;
    const gate = src.find((t) => t.name === 'model.layers.1.mlp.gate_proj.weight')!;
    const { readTensorF32 } = await import('../hf/tensor-ref');
    const g = readTensorF32(gate);
    let maxErr = 0;
    let maxAbs = 0;
    for (let i = 0; i < g.length; i++) {
      maxErr = Math.max(maxErr, Math.abs(g[i] - a.data[i]));
      maxAbs = Math.max(maxAbs, Math.abs(g[i]));
    }
    expect(maxErr).toBeLessThanOrEqual((maxAbs / 7) * 0.5 * 1.01);
    // unquantized parameters come back as they are; q3 with K not a multiple of 40 needs the true K
    expect(dequantizeParam(nk, 'model.norm.weight', 'q4f16_1').shape).toEqual([64]);
    const q3 = loadMlcParams(path.join(tmp, 'llama-q3f16_1'));
    expect(dequantizeParam(q3, 'model.layers.0.self_attn.o_proj.weight', 'q3f16_1', 64).shape).toEqual([64, 64]);
  });
});

describe('bad checkpoints are clear errors naming the tensor', () => {
  const convert = (source: string, output = path.join(tmp, 'err-out')) => convertWeight({ source, quantization: 'q4f16_1', output, threads: 1 });

  test('missing tensor', async () => {
    const dir = editedCheckpoint('llama', 'missing', (ts) => ts.filter((t) => t.name !== 'model.layers.1.mlp.up_proj.weight'));
    await expect(convert(dir)).rejects.toThrow(/lacks 1 tensor\(s\)[^\n]*model\.layers\.1\.mlp\.up_proj\.weight[\s\S]*fix:/);
  });
  test('extra tensor', async () => {
    const dir = editedCheckpoint('llama', 'extra', (ts) => [...ts, { name: 'model.layers.2.mlp.up_proj.weight', dtype: 'BF16', shape: [2], data: new Uint8Array(4) }]);
    await expect(convert(dir)).rejects.toThrow(/does not use: model\.layers\.2\.mlp\.up_proj\.weight[\s\S]*field: model\.layers\.2\.mlp\.up_proj\.weight/);
  });
  test('shape disagreeing with config.json', async () => {
    const dir = editedCheckpoint('llama', 'shape', (ts) => ts, { intermediate_size: 128 });
    await expect(convert(dir)).rejects.toThrow(/"model\.layers\.0\.mlp\.down_proj\.weight" has shape \[64, 192\] but config\.json implies \[64, 128\][\s\S]*intermediate_size/);
  });
  test('NaN / Inf weights are reported by tensor name, and the previous output survives', async () => {
    const out = path.join(tmp, 'survivor');
    await convert(path.join(TINY, 'llama'), out);
    const before = fs.readFileSync(path.join(out, 'tensor-cache.json'), 'utf8');
    const dir = editedCheckpoint('llama', 'nan', (ts) =>
      ts.map((t) => {
        if (t.name !== 'model.layers.1.self_attn.v_proj.weight') return t;
        const data = new Uint8Array(t.data);
        data[2 * 70 + 1] = 0x7f; // element 70 → bf16 0x7fc0 (NaN)
        data[2 * 70] = 0xc0;
        return { ...t, data };
      }),
    );
    // worker threads (quantizer and shard I/O) on the failing run: their temp files must go too
    await expect(convertWeight({ source: dir, quantization: 'q4f16_1', output: out, threads: 2 })).rejects.toThrow(/Tensor "model\.layers\.1\.self_attn\.v_proj\.weight" contains NaN or Inf \(element 70\)/);
    expect(fs.readFileSync(path.join(out, 'tensor-cache.json'), 'utf8')).toBe(before);
    expect(verifyWeights(out).ok).toBe(true);
    expect(fs.readdirSync(out).filter((f) => f.startsWith('.tmp'))).toEqual([]);
  });
  test('a tied model may carry lm_head.weight: ignored, reported', async () => {
    const s = await convertWeight({ source: path.join(TINY, 'llama'), quantization: 'q0f16', output: path.join(tmp, 'tied'), threads: 1, modelType: 'llama' }).then(async () =>
      convertWeight({ source: editedCheckpoint('llama', 'tied-src', (ts) => ts, { tie_word_embeddings: true }), quantization: 'q0f16', output: path.join(tmp, 'tied'), threads: 1 }),
    );
    expect(s.redundantSources).toEqual(['lm_head.weight']);
    expect(readOutput(path.join(tmp, 'tied')).tensors.has('lm_head.weight')).toBe(false);
    expect(formatConvertSummary(s)).toMatch(/^convert-weight: llama q0f16: 14 tensors, 1 shards/);
  });
  test('unknown model type / quantization', async () => {
    await expect(convertWeight({ source: path.join(TINY, 'llama'), quantization: 'q4f16_1', output: path.join(tmp, 'x'), modelType: 'gpt2' })).rejects.toThrow(/no weight mapping for model type "gpt2"/);
    await expect(convertWeight({ source: path.join(TINY, 'llama'), quantization: 'q5', output: path.join(tmp, 'x') })).rejects.toThrow(/Unknown quantization "q5"/);
  });
});

describe('incremental per-tensor cache', () => {
  test('a fine-tune that changed one tensor recomputes one parameter, bytes identical to a fresh run', async () => {
    const cacheDir = path.join(tmp, 'tcache');
    const first = await convertWeight({ source: path.join(TINY, 'llama'), quantization: 'q4f16_1', output: path.join(tmp, 'inc-a'), threads: 1, cacheDir });
    expect(first.reusedParams).toBe(0);
    const again = await convertWeight({ source: path.join(TINY, 'llama'), quantization: 'q4f16_1', output: path.join(tmp, 'inc-b'), threads: 1, cacheDir });
    expect(again.reusedParams).toBe(again.computedParams + again.reusedParams);
    expect(fs.readFileSync(path.join(tmp, 'inc-b', 'tensor-cache.json'), 'utf8')).toBe(fs.readFileSync(path.join(tmp, 'inc-a', 'tensor-cache.json'), 'utf8'));
    const tuned = editedCheckpoint('llama', 'tuned', (ts) =>
      ts.map((t) => (t.name === 'model.layers.1.mlp.up_proj.weight' ? { ...t, data: new Uint8Array(t.data).map((b, i) => (i % 2 ? b : b ^ 1)) } : t)),
    );
    const inc = await convertWeight({ source: tuned, quantization: 'q4f16_1', output: path.join(tmp, 'inc-c'), threads: 1, cacheDir });
    expect(inc.computedParams).toBe(1); // gate_up of layer 1
    const fresh = await convertWeight({ source: tuned, quantization: 'q4f16_1', output: path.join(tmp, 'inc-d'), threads: 1 });
    expect(fs.readFileSync(path.join(tmp, 'inc-c', 'tensor-cache.json'), 'utf8')).toBe(fs.readFileSync(path.join(tmp, 'inc-d', 'tensor-cache.json'), 'utf8'));
    expect(fresh.reusedParams).toBe(0);
    // another quantization never reuses these entries
    const other = await convertWeight({ source: tuned, quantization: 'q4f16_0', output: path.join(tmp, 'inc-e'), threads: 1, cacheDir });
    expect(other.reusedParams).toBe(0);
  });
});

describe('verify-weights', () => {
  test('detects a flipped byte, a truncated shard and a bad offset', async () => {
    const out = path.join(tmp, 'verify');
    await convertWeight({ source: path.join(TINY, 'qwen2'), quantization: 'q4f16_1', output: out, threads: 1 });
    expect(verifyWeights(out).ok).toBe(true);
    const shard = path.join(out, 'params_shard_0.bin');
    const bytes = fs.readFileSync(shard);
    bytes[100] ^= 0xff;
    fs.writeFileSync(shard, bytes);
    expect(verifyWeights(out).problems).toEqual([expect.stringMatching(/params_shard_0\.bin: md5 [0-9a-f]{32} differs/)]);
    fs.writeFileSync(shard, bytes.subarray(0, bytes.length - 2));
    expect(verifyWeights(out).problems.join('\n')).toMatch(/file has \d+ bytes, the index says \d+/);
    const json = JSON.parse(fs.readFileSync(path.join(out, 'tensor-cache.json'), 'utf8'));
    json.records[0].records[1].byteOffset += 2;
    fs.writeFileSync(path.join(out, 'tensor-cache.json'), JSON.stringify(json));
    expect(verifyWeights(out).problems.join('\n')).toMatch(/byteOffset \d+, expected \d+/);
  });
});
