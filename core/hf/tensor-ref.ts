import * as fs from 'node:fs';
import { NxMlcError } from '../support/errors';
import { bf16ToF32, f16ToF32, f8e4m3ToF32, f8e5m2ToF32 } from '../support/dtype';

/** Element types as safetensors names them; torch `.bin` readers map their storages onto the same names. */
export type SourceDType =
  | 'F64' | 'F32' | 'F16' | 'BF16' | 'F8_E4M3' | 'F8_E5M2'
  | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'U16' | 'U32' | 'U64' | 'BOOL';

export const DTYPE_BYTES: Record<SourceDType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1,
  I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, U16: 2, U32: 4, U64: 8, BOOL: 1,
};

export function isSourceDType(s: string): s is SourceDType {
  return Object.prototype.hasOwnProperty.call(DTYPE_BYTES, s);
}

/**
 * Where one tensor of a checkpoint lives on disk. Reading it is a positioned read of `byteLength` bytes
 * at `offset` of `file`, so a 16 GB checkpoint is never loaded whole. `strides` (in elements) is only set
 * for torch views that are not C-contiguous; then `offset` is the first element's position.
 */
export interface TensorRef {
  name: string;
  dtype: SourceDType;
  shape: number[];
  file: string;
  offset: number;
  byteLength: number;
  strides?: number[];
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function readExactly(file: string, offset: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  const fd = fs.openSync(file, 'r');
  try {
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, buf, done, length - done, offset + done);
      if (n === 0) {
        throw new NxMlcError(`Unexpected end of file while reading ${length} bytes at offset ${offset}`, {
          file,
          fix: 'The file is truncated; download it again.',
        });
      }
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return buf;
}

/** The tensor's bytes in C-contiguous order (little-endian elements). */
export function readTensorBytes(ref: TensorRef): Buffer {
  const item = DTYPE_BYTES[ref.dtype];
  if (!ref.strides || isContiguous(ref.shape, ref.strides)) return readExactly(ref.file, ref.offset, ref.byteLength);
  // A strided torch view: read the span it covers, then gather.
  let maxIndex = 0;
  ref.shape.forEach((d, i) => (maxIndex += (d - 1) * ref.strides![i]));
  const span = readExactly(ref.file, ref.offset, (maxIndex + 1) * item);
  const out = Buffer.allocUnsafe(numel(ref.shape) * item);
  const idx = new Array(ref.shape.length).fill(0);
  for (let o = 0; o < numel(ref.shape); o++) {
    let src = 0;
    for (let d = 0; d < idx.length; d++) src += idx[d] * ref.strides[d];
    span.copy(out, o * item, src * item, src * item + item);
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < ref.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

function isContiguous(shape: number[], strides: number[]): boolean {
  let expect = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== expect) return false;
    expect *= shape[d];
  }
  return true;
}

/** Decode raw little-endian element bytes of a floating or integer dtype to float64 values in a Float32Array-compatible range. */
export function decodeToFloat32(dtype: SourceDType, bytes: Buffer): Float32Array {
  const n = bytes.length / DTYPE_BYTES[dtype];
  const out = new Float32Array(n);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = bytes.readFloatLE(i * 4);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = bytes.readDoubleLE(i * 8);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = f16ToF32(bytes.readUInt16LE(i * 2));
      break;
    case 'BF16':
      for (let i = 0; i < n; i++) out[i] = bf16ToF32(bytes.readUInt16LE(i * 2));
      break;
    case 'F8_E4M3':
      for (let i = 0; i < n; i++) out[i] = f8e4m3ToF32(bytes[i]);
      break;
    case 'F8_E5M2':
      for (let i = 0; i < n; i++) out[i] = f8e5m2ToF32(bytes[i]);
      break;
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(bytes.readBigInt64LE(i * 8));
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = bytes.readInt32LE(i * 4);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = bytes.readInt16LE(i * 2);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = bytes.readInt8(i);
      break;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = bytes[i];
      break;
    case 'U16':
      for (let i = 0; i < n; i++) out[i] = bytes.readUInt16LE(i * 2);
      break;
    case 'U32':
      for (let i = 0; i < n; i++) out[i] = bytes.readUInt32LE(i * 4);
      break;
    case 'U64':
      for (let i = 0; i < n; i++) out[i] = Number(bytes.readBigUInt64LE(i * 8));
      break;
  }
  return out;
}

/** Read and decode a tensor to float32 values (exact for f16/bf16/f8; f64 rounds). */
export function readTensorF32(ref: TensorRef): Float32Array {
  return decodeToFloat32(ref.dtype, readTensorBytes(ref));
}
