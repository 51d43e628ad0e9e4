/**
 * Which repository files a checkpoint needs. The defaults skip what no stage reads (framework
 * duplicates of the weights, Meta's original/ consolidated checkpoints, images, docs), which on big
 * repositories is most of the bytes.
 */
export const DEFAULT_EXCLUDE = [
  '.gitattributes',
  'original/**',
  '*.pth',
  '*.pt',
  '*.gguf',
  '*.onnx',
  '*.onnx_data',
  '*.h5',
  '*.msgpack',
  '*.ckpt',
  '*.tflite',
  '*.mlmodel',
  '*.png',
  '*.jpg',
  '*.gif',
  'onnx/**',
  'openvino/**',
  'coreml/**',
];

/** A glob with `*` (within a path segment) and `**` (across segments) as a RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // A pattern without a slash matches the file name in any directory, as in .gitignore.
  return new RegExp(glob.includes('/') ? `^${re}$` : `^(?:.*/)?${re}$`);
}

/**
 * Pick the files to fetch: `include` (if given) selects, `exclude` removes; PyTorch .bin weights are
 * dropped when safetensors are present (the same tensors twice).
 */
export function selectFiles(paths: string[], include?: string[], exclude: string[] = DEFAULT_EXCLUDE): string[] {
  const inc = include?.map(globToRegExp);
  const exc = exclude.map(globToRegExp);
  let picked = paths.filter((p) => (!inc || inc.some((r) => r.test(p))) && !exc.some((r) => r.test(p)));
  if (!include && picked.some((p) => p.endsWith('.safetensors'))) {
    picked = picked.filter((p) => !/(^|\/)pytorch_model[^/]*\.bin$/.test(p) && !p.endsWith('pytorch_model.bin.index.json'));
  }
  return picked.sort();
}
