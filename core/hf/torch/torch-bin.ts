import * as fs from 'node:fs';
import { NxMlcError } from '../../support/errors';
import { DTYPE_BYTES, numel, SourceDType, TensorRef } from '../tensor-ref';
import { STORAGE_CLASS_DTYPES, STORAGE_MODULES, TORCH_DTYPES } from './dtypes';
import { describe, PyCallable, PyDict, unpickle } from './pickle';
import { entryDataOffset, readAt, readZipDirectory, ZipDirectory } from './zip';

/**
 * Open a PyTorch `torch.save` checkpoint (`pytorch_model.bin`, a zip of `data.pkl` + one record per
 * storage) lazily: only the zip directory and the small pickle are read, and every tensor becomes a
 * `TensorRef` into the storage record's bytes. Tensors that share a storage (tied weights) point at the
 * same bytes; views that are not C-contiguous carry `strides`.
 */

const MAX_PICKLE = 256 * 1024 * 1024;
const RESAVE = 'Re-save it with a current PyTorch (`torch.save(torch.load(path), path)`) or convert it to safetensors.';
const STATE_DICT_ONLY = 'Only state dicts of tensors are supported: re-save with `torch.save(model.state_dict(), path)`, or convert the checkpoint to safetensors.';

/** A storage class named in a persistent id: `torch.BFloat16Storage`, `torch.UntypedStorage`... */
class StorageType {
  constructor(
    readonly qualifiedName: string,
    /** element dtype; 'untyped' = bytes whose dtype comes from `_rebuild_tensor_v3`; null = unsupported. */
    readonly dtype: SourceDType | 'untyped' | null,
  ) {}
}

/** A `torch.<dtype>` object (argument of `_rebuild_tensor_v3`). */
class TorchDType {
  constructor(
    readonly name: string,
    readonly dtype: SourceDType | null,
  ) {}
}

/** `torch.Tensor` / `torch.nn.Parameter`, only meaningful as `_rebuild_from_type_v2`'s type argument. */
class TensorType {
  constructor(readonly qualifiedName: string) {}
}

/** What a persistent id resolves to: a record `data/<key>` of the archive. */
class StorageRef {
  constructor(
    readonly type: StorageType,
    readonly key: string,
    readonly numel: number,
  ) {}
}

class RebuiltTensor {
  constructor(
    readonly storage: StorageRef,
    readonly storageOffset: number,
    readonly shape: number[],
    readonly stride: number[],
    /** null: a dtype torch has and we cannot convert; its name is in `dtypeName`. */
    readonly dtype: SourceDType | null,
    readonly dtypeName: string,
  ) {}
  /** Python-level tensor state (BUILD): attributes like `_is_param`; not needed to locate the data. */
  setState(): void {}
}

export function openTorchBin(file: string): TensorRef[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new NxMlcError('The checkpoint file does not exist', { file, fix: 'Check the path, or download the checkpoint again.' });
  }
  if (stat.isDirectory()) {
    throw new NxMlcError('Expected a PyTorch checkpoint file but the path is a directory', {
      file,
      fix: 'Pass the `pytorch_model*.bin` file itself; directories are resolved by the checkpoint loader.',
    });
  }
  const fileSize = stat.size;
  const fd = fs.openSync(file, 'r');
  try {
    rejectNonZip(fd, file, fileSize);
    const dir = readZipDirectory(fd, file, fileSize);
    return readArchive(fd, file, dir);
  } finally {
    fs.closeSync(fd);
  }
}

function rejectNonZip(fd: number, file: string, fileSize: number): void {
  const head = readAt(fd, file, 0, Math.min(fileSize, 512));
  const text = head.toString('latin1');
  if (text.startsWith('PK\x03\x04') || text.startsWith('PK\x05\x06')) return;
  if (text.startsWith('version https://git-lfs')) {
    throw new NxMlcError('This is a Git LFS pointer, not the checkpoint itself', {
      file,
      fix: 'Fetch the real file: `git lfs pull` in the model repository (or download it with `huggingface-cli download`).',
    });
  }
  if (text.startsWith('PYTORCH1')) {
    throw new NxMlcError('This PyTorch checkpoint uses the preview-release archive format, which is not supported', { file, fix: RESAVE });
  }
  const isPickle = head.length >= 2 && head[0] === 0x80 && head[1] <= 5;
  const isTar = head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar';
  if (isPickle || isTar) {
    throw new NxMlcError(
      'This is a PyTorch checkpoint in the legacy (pre-1.6, non-zip) format, which cannot be read lazily and is not supported',
      { file, fix: RESAVE },
    );
  }
  throw new NxMlcError('Not a PyTorch checkpoint: the file is not a zip archive (torch.save writes zip archives since PyTorch 1.6)', {
    file,
    fix: 'Check that the path names a `pytorch_model*.bin` file and that it downloaded completely.',
  });
}

function readArchive(fd: number, file: string, dir: ZipDirectory): TensorRef[] {
  if (dir.entries.length === 0) {
    throw new NxMlcError('The zip archive has no records, so it is not a torch.save checkpoint', { file, fix: RESAVE });
  }
  // Like torch's reader: every record lives under the folder named by the first record.
  const first = dir.entries[0].name;
  const slash = first.indexOf('/');
  if (slash <= 0) {
    throw new NxMlcError(`Record "${first}" is not inside a folder, so this zip is not a torch.save checkpoint`, { file, fix: RESAVE });
  }
  const prefix = first.slice(0, slash + 1);

  const byteorder = dir.byName.get(`${prefix}byteorder`);
  if (byteorder) {
    const order = readRecord(fd, dir, byteorder.name, 16).toString('latin1');
    if (order !== 'little') {
      throw new NxMlcError(`The checkpoint was saved on a ${order}-endian machine; only little-endian data is supported`, {
        file,
        field: byteorder.name,
        fix: 'Load and re-save it on a little-endian machine, or convert it to safetensors.',
      });
    }
  }

  const pklName = `${prefix}data.pkl`;
  if (!dir.byName.has(pklName)) {
    throw new NxMlcError(`The archive has no ${pklName}, so it is not a torch.save checkpoint`, { file, fix: RESAVE });
  }
  const pickle = readRecord(fd, dir, pklName, MAX_PICKLE);
  const root = unpickle(pickle, { findGlobal: (m, n) => findGlobal(file, m, n), persistentLoad: (pid) => persistentLoad(file, pid) }, { file, field: pklName });

  if (!(root instanceof PyDict)) {
    throw new NxMlcError(`data.pkl holds a ${describe(root)}, not a state dict`, { file, field: pklName, fix: STATE_DICT_ONLY });
  }
  const dataOffsets = new Map<string, { offset: number; size: number }>();
  const refs: TensorRef[] = [];
  for (const [name, value] of root.map) {
    if (typeof name !== 'string') {
      throw new NxMlcError(`The state dict has a ${describe(name)} key; tensor names must be strings`, { file, field: pklName, fix: STATE_DICT_ONLY });
    }
    if (!(value instanceof RebuiltTensor)) {
      throw new NxMlcError(`State dict entry "${name}" is a ${describe(value)}, not a tensor (is this a training checkpoint?)`, {
        file,
        field: name,
        fix: STATE_DICT_ONLY,
      });
    }
    refs.push(toTensorRef(fd, dir, prefix, name, value, dataOffsets));
  }
  return refs;
}

function readRecord(fd: number, dir: ZipDirectory, name: string, maxSize: number): Buffer {
  const entry = dir.byName.get(name)!;
  requireStored(dir.file, entry.name, entry.method, entry.flags);
  if (entry.size > maxSize) {
    throw new NxMlcError(`Record ${name} is ${entry.size} bytes, more than the ${maxSize} expected`, { file: dir.file, field: name, fix: RESAVE });
  }
  return readAt(fd, dir.file, entryDataOffset(fd, dir, entry), entry.size);
}

function requireStored(file: string, name: string, method: number, flags: number): void {
  if (flags & 1) {
    throw new NxMlcError(`Record ${name} is encrypted`, { file, field: name, fix: RESAVE });
  }
  if (method !== 0) {
    throw new NxMlcError(`Record ${name} is compressed (zip method ${method}); torch.save stores records uncompressed so they can be read in place`, {
      file,
      field: name,
      fix: `The archive was re-packed by another tool. ${RESAVE}`,
    });
  }
}

function toTensorRef(
  fd: number,
  dir: ZipDirectory,
  prefix: string,
  name: string,
  t: RebuiltTensor,
  dataOffsets: Map<string, { offset: number; size: number }>,
): TensorRef {
  const { file } = dir;
  if (t.dtype === null) {
    throw new NxMlcError(`Tensor "${name}" has dtype ${t.dtypeName}, which cannot be converted`, {
      file,
      field: name,
      fix: 'Convert the checkpoint to bf16, f16 or f32 (e.g. `model.to(torch.bfloat16)`) and save it again.',
    });
  }
  const recordName = `${prefix}data/${t.storage.key}`;
  let located = dataOffsets.get(recordName);
  if (!located) {
    const entry = dir.byName.get(recordName);
    if (!entry) {
      throw new NxMlcError(`Storage record ${recordName} of tensor "${name}" is missing from the archive`, {
        file,
        field: name,
        fix: 'The checkpoint is incomplete or corrupt: download it again.',
      });
    }
    requireStored(file, entry.name, entry.method, entry.flags);
    located = { offset: entryDataOffset(fd, dir, entry), size: entry.size };
    dataOffsets.set(recordName, located);
  }
  const storageItem = t.storage.type.dtype === 'untyped' || t.storage.type.dtype === null ? 1 : DTYPE_BYTES[t.storage.type.dtype];
  const storageBytes = t.storage.numel * storageItem;
  if (located.size < storageBytes) {
    throw new NxMlcError(`Storage record ${recordName} has ${located.size} bytes but the pickle declares ${storageBytes}`, {
      file,
      field: name,
      fix: 'The checkpoint is corrupt: download it again.',
    });
  }
  const item = DTYPE_BYTES[t.dtype];
  const count = numel(t.shape);
  let lastElement = t.storageOffset;
  t.shape.forEach((d, i) => (lastElement += (d - 1) * t.stride[i]));
  const needed = count === 0 ? t.storageOffset * item : (lastElement + 1) * item;
  if (needed > storageBytes) {
    throw new NxMlcError(
      `Tensor "${name}" (shape [${t.shape}], strides [${t.stride}], offset ${t.storageOffset}) reaches byte ${needed} of a ${storageBytes}-byte storage`,
      { file, field: name, fix: 'The checkpoint is corrupt: download it again.' },
    );
  }
  const ref: TensorRef = {
    name,
    dtype: t.dtype,
    shape: t.shape,
    file,
    offset: located.offset + t.storageOffset * item,
    byteLength: count * item,
  };
  if (!isContiguous(t.shape, t.stride)) ref.strides = t.stride;
  return ref;
}

/** Same rule as tensor-ref's reader: size-1 dimensions may have any stride. */
function isContiguous(shape: number[], strides: number[]): boolean {
  let expect = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== expect) return false;
    expect *= shape[d];
  }
  return true;
}

// ---------------------------------------------------------------- the pickle's allowlist

const TENSOR_TYPES = new Set(['torch.Tensor', 'torch._tensor.Tensor', 'torch.nn.parameter.Parameter', 'torch.nn.Parameter']);

function findGlobal(file: string, module: string, name: string): unknown {
  const qualified = `${module}.${name}`;
  switch (qualified) {
    case 'collections.OrderedDict':
      return new PyCallable(qualified, (args) => {
        const d = new PyDict();
        const items = args[0];
        if (Array.isArray(items)) for (const pair of items) if (Array.isArray(pair) && pair.length === 2) d.map.set(pair[0], pair[1]);
        return d;
      });
    case 'torch._utils._rebuild_tensor':
      return new PyCallable(qualified, (args) => rebuildTensor(file, qualified, [...args.slice(0, 4), false, null], false));
    case 'torch._utils._rebuild_tensor_v2':
      return new PyCallable(qualified, (args) => rebuildTensor(file, qualified, args, false));
    case 'torch._utils._rebuild_tensor_v3':
      return new PyCallable(qualified, (args) => rebuildTensor(file, qualified, args, true));
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return new PyCallable(qualified, (args) => expectTensor(file, qualified, args[0]));
    case 'torch._tensor._rebuild_from_type_v2':
      // (func, new_type, args, state): a Tensor or Parameter carrying Python attributes; the data is func(*args).
      return new PyCallable(qualified, (args) => {
        const [fn, type, fnArgs] = args;
        if (!(type instanceof TensorType)) badPickle(file, `${qualified} rebuilds a ${describe(type)}, not a tensor`);
        if (!(fn instanceof PyCallable) || !Array.isArray(fnArgs)) badPickle(file, `${qualified} has malformed arguments`);
        return expectTensor(file, qualified, (fn as PyCallable).call(fnArgs as unknown[]));
      });
    case 'torch.Size':
      return new PyCallable(qualified, (args) => args[0]);
  }
  if (TENSOR_TYPES.has(qualified)) return new TensorType(qualified);
  if (name === 'UntypedStorage' && (module === 'torch' || module === 'torch.storage')) return new StorageType(qualified, 'untyped');
  if (STORAGE_MODULES.has(module) && Object.prototype.hasOwnProperty.call(STORAGE_CLASS_DTYPES, name)) {
    return new StorageType(qualified, STORAGE_CLASS_DTYPES[name]);
  }
  if (module === 'torch' && Object.prototype.hasOwnProperty.call(TORCH_DTYPES, name)) return new TorchDType(qualified, TORCH_DTYPES[name]);
  throw new NxMlcError(
    `data.pkl references the Python global ${qualified}, which is not part of a plain PyTorch state dict; it is not executed`,
    { file, field: 'data.pkl', fix: STATE_DICT_ONLY },
  );
}

function badPickle(file: string, what: string): never {
  throw new NxMlcError(`Unexpected content in data.pkl: ${what}`, { file, field: 'data.pkl', fix: STATE_DICT_ONLY });
}

function expectTensor(file: string, fn: string, v: unknown): RebuiltTensor {
  if (!(v instanceof RebuiltTensor)) badPickle(file, `${fn} received a ${describe(v)} instead of a tensor`);
  return v as RebuiltTensor;
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`;
 *  `_v3` adds the dtype after backward_hooks (its storage is untyped). */
function rebuildTensor(file: string, fn: string, args: unknown[], v3: boolean): RebuiltTensor {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof StorageRef)) badPickle(file, `${fn} received a ${describe(storage)} instead of a storage`);
  const s = storage as StorageRef;
  if (!isIndex(offset)) badPickle(file, `${fn} has storage offset ${String(offset)}`);
  if (!Array.isArray(size) || !size.every(isIndex) || !Array.isArray(stride) || !stride.every(isIndex) || size.length !== stride.length) {
    badPickle(file, `${fn} has size ${JSON.stringify(size)} and stride ${JSON.stringify(stride)}`);
  }
  let dtype: SourceDType | null;
  let dtypeName: string;
  if (v3) {
    const d = args[6];
    if (!(d instanceof TorchDType)) badPickle(file, `${fn} received a ${describe(d)} instead of a dtype`);
    dtype = (d as TorchDType).dtype;
    dtypeName = (d as TorchDType).name;
  } else {
    const t = s.type.dtype;
    dtype = t === 'untyped' ? 'U8' : t;
    dtypeName = s.type.qualifiedName;
  }
  return new RebuiltTensor(s, offset as number, size as number[], stride as number[], dtype, dtypeName);
}

/** torch's persistent id: ('storage', storage_type, key, location, numel). */
function persistentLoad(file: string, pid: unknown): StorageRef {
  if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') {
    badPickle(file, `a persistent id that is not ('storage', type, key, location, numel)`);
  }
  const [, type, key, , count] = pid as unknown[];
  if (!(type instanceof StorageType)) badPickle(file, `a storage of type ${describe(type)}`);
  if (typeof key !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(key)) badPickle(file, `storage key ${JSON.stringify(key)}`);
  if (!isIndex(count)) badPickle(file, `storage size ${String(count)}`);
  return new StorageRef(type as StorageType, key as string, count as number);
}
