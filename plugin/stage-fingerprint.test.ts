import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { TOKENIZER_FILES } from '../core/gen-config/gen-config';
import { DigestMemo, hashFile } from './file-digest';
import { GEN_CONFIG_FILES, Stage, stageFingerprint } from './stage-fingerprint';
import { DEMO_MODEL, TempWorkspace } from './test-support/temp-workspace';
import { createHash } from 'node:crypto';

const MODEL = {
  name: 'demo',
  source: 'hf',
  quantizations: ['q4f16_1'],
  targets: ['cpu', { name: 'cuda', device: 'cuda', opt: 'O3' }],
  convTemplate: 'LM',
  overrides: { context_window_size: 512 },
  validate: { prompt: 'def f(' },
};

let ws: TempWorkspace;
beforeEach(() => {
  ws = new TempWorkspace();
  for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors']) {
    fs.mkdirSync(path.join(ws.root, 'm', 'hf'), { recursive: true });
    fs.copyFileSync(path.join(DEMO_MODEL, f), path.join(ws.root, 'm', 'hf', f));
  }
  ws.write('m/mlc-model.yaml', stringify(MODEL));
});
afterEach(() => ws.cleanup());

const fp = (stage: Stage, hw?: string) => stageFingerprint(ws.root, stage, 'm/mlc-model.yaml', new DigestMemo(null), hw);
const all = () => ({ gen: fp('gen-config'), conv: fp('convert-weight'), cpu: fp('compile', 'cpu'), cuda: fp('compile', 'cuda'), val: fp('validate') });

function changed(before: ReturnType<typeof all>, after: ReturnType<typeof all>): string[] {
  return (Object.keys(before) as (keyof typeof before)[]).filter((k) => before[k] !== after[k]);
}

function flipOneByte(file: string, at: number): void {
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, at);
  b[0] ^= 1;
  fs.writeSync(fd, b, 0, 1, at);
  fs.closeSync(fd);
}

describe('stage fingerprints follow the DESIGN §1 table', () => {
  it('is stable when nothing changes', () => {
    expect(changed(all(), all())).toEqual([]);
  });

  it('a new conversation template: gen-config only', () => {
    const before = all();
    ws.write('m/mlc-model.yaml', stringify({ ...MODEL, convTemplate: 'chatml' }));
    expect(changed(before, all())).toEqual(['gen']);
  });

  it('one changed weight byte: convert-weight and validate', () => {
    const before = all();
    const file = path.join(ws.root, 'm', 'hf', 'model.safetensors');
    const size = fs.statSync(file).size;
    flipOneByte(file, size - 3);
    expect(changed(before, all())).toEqual(['conv', 'val']);
  });

  it('a new tokenizer: gen-config only', () => {
    const before = all();
    ws.write('m/hf/tokenizer_config.json', '{"model_max_length": 7}');
    expect(changed(before, all())).toEqual(['gen']);
  });

  it("one hardware target's opt level: that target's compile only", () => {
    const before = all();
    ws.write('m/mlc-model.yaml', stringify({ ...MODEL, targets: ['cpu', { name: 'cuda', device: 'cuda', opt: 'O1' }] }));
    expect(changed(before, all())).toEqual(['cuda']);
  });

  it('one more hardware target: nothing that exists', () => {
    const before = all();
    ws.write('m/mlc-model.yaml', stringify({ ...MODEL, targets: [...MODEL.targets, 'metal'] }));
    expect(changed(before, all())).toEqual([]);
  });

  it('a new validation prompt: validate only', () => {
    const before = all();
    ws.write('m/mlc-model.yaml', stringify({ ...MODEL, validate: { prompt: 'class' } }));
    expect(changed(before, all())).toEqual(['val']);
  });

  it('names each file and its sha256 (computed here with node:crypto)', () => {
    const expected = createHash('sha256').update(fs.readFileSync(path.join(DEMO_MODEL, 'model.safetensors'))).digest('hex');
    expect(fp('convert-weight')).toContain(`model.safetensors ${expected}`);
    expect(fp('gen-config')).toContain('tokenizer.model absent');
  });

  it('reads the same files gen-config copies', () => {
    expect(GEN_CONFIG_FILES).toEqual(['config.json', 'generation_config.json', ...TOKENIZER_FILES]);
  });
});

describe('DigestMemo', () => {
  it('re-reads nothing while path, size and mtime are unchanged, and re-reads when mtime moves', () => {
    const file = ws.write('w.bin', Buffer.alloc(1000, 7));
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(file, old, old);
    const memoFile = path.join(ws.root, '.nx', 'workspace-data', 'nx-mlc', 'file-digests.json');
    const m1 = new DigestMemo(memoFile);
    const d1 = m1.digest(file);
    expect(d1).toBe(hashFile(file));
    m1.save();
    // same size, same mtime, different bytes: the memo answers without reading (the point of memoising)
    fs.writeFileSync(file, Buffer.alloc(1000, 8));
    fs.utimesSync(file, old, old);
    expect(new DigestMemo(memoFile).digest(file)).toBe(d1);
    // a new mtime: read again
    const later = new Date(Date.now() - 30_000);
    fs.utimesSync(file, later, later);
    expect(new DigestMemo(memoFile).digest(file)).toBe(hashFile(file));
    expect(hashFile(file)).not.toBe(d1);
  });

  it('does not memoise a file modified within the last two seconds (racy mtime)', () => {
    const file = ws.write('fresh.bin', 'a');
    const memoFile = path.join(ws.root, 'memo.json');
    const m = new DigestMemo(memoFile);
    m.digest(file);
    m.save();
    expect(fs.existsSync(memoFile)).toBe(false);
  });

  it('survives a torn memo file', () => {
    const memoFile = ws.write('memo.json', '{"version":1,"entr');
    const file = ws.write('x.bin', 'abc');
    expect(new DigestMemo(memoFile).digest(file)).toBe(hashFile(file));
  });
});
