import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { NxMlcError } from '../support/errors';
import type { TokenizerInfo } from './chat-config';
import { RuntimeTokenizer } from './token-table';

export { RuntimeTokenizer, TextStreamer, tokenToBytes } from './token-table';

/** Load tokenizer.json (+ tokenizer_config.json when present) from an MLC model directory. */
export function loadTokenizer(modelDir: string, info: TokenizerInfo, vocabSize: number): RuntimeTokenizer {
  const file = path.join(modelDir, 'tokenizer.json');
  if (!fs.existsSync(file)) {
    const sp = fs.existsSync(path.join(modelDir, 'tokenizer.model'));
    throw new NxMlcError(
      sp ? 'Only a SentencePiece tokenizer.model is present; this runtime reads tokenizer.json' : 'The model directory has no tokenizer.json',
      {
        file,
        fix: sp
          ? 'Save a tokenizer.json next to it (transformers: AutoTokenizer.from_pretrained(dir).backend_tokenizer.save("tokenizer.json")) and re-run gen-config.'
          : 'Put the model`s tokenizer.json in the Hugging Face directory and re-run `nx-mlc gen-config` (it copies tokenizer files).',
      },
    );
  }
  const cfgFile = path.join(modelDir, 'tokenizer_config.json');
  let json: object;
  let cfg: object = {};
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (fs.existsSync(cfgFile)) cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
  } catch (e) {
    throw new NxMlcError(`The tokenizer files are not valid JSON: ${(e as Error).message}`, { file, fix: 'Copy the tokenizer files again from the Hugging Face checkpoint.' });
  }
  let hf: Tokenizer;
  try {
    hf = new Tokenizer(json, cfg);
  } catch (e) {
    throw new NxMlcError(`The tokenizer cannot be loaded: ${(e as Error).message}`, { file, fix: 'Check that tokenizer.json comes from a `tokenizers`-format (fast) tokenizer.' });
  }
  return new RuntimeTokenizer(hf, info, vocabSize);
}
