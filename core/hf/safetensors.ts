import * as fs from 'node:fs';
import { NxMlcError } from '../support/errors';
import { writeFileAtomic } from '../support/atomic';
import { DTYPE_BYTES, isSourceDType, numel, SourceDType, TensorRef } from './tensor-ref';

/**
 * A small safetensors reader and writer (format: 8-byte LE header length, JSON header, raw data).
 * The reader parses only the header and returns positioned references; tensor bytes are read on demand.
 * Every structural defect becomes an error that names the file and says what to do.
 */

const MAX_HEADER = 100 * 1024 * 1024; // the reference implementation's own limit

export interface SafetensorsHeader {
  tensors: TensorRef[];
  metadata: Record<string, string>;
  dataStart: number;
  fileSize: number;
}

const REDOWNLOAD = 'The file is truncated or corrupt: download it again (for Hub checkpoints, `git lfs pull` or `huggingface-cli download`).';

export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const fileSize = fs.statSync(file).size;
  if (fileSize < 8) {
    throw new NxMlcError(`Not a safetensors file: only ${fileSize} bytes, less than the 8-byte header length`, { file, fix: REDOWNLOAD });
  }
  const fd = fs.openSync(file, 'r');
  let headerText: string;
  try {
    const lenBuf = Buffer.alloc(8);
    fs.readSync(fd, lenBuf, 0, 8, 0);
    const headerLen = Number(lenBuf.readBigUInt64LE(0));
    if (headerLen > MAX_HEADER || 8 + headerLen > fileSize) {
      throw new NxMlcError(
        `Invalid safetensors header length ${headerLen} (file has ${fileSize} bytes)`,
        { file, fix: REDOWNLOAD },
      );
    }
    const hb = Buffer.alloc(headerLen);
    fs.readSync(fd, hb, 0, headerLen, 8);
    headerText = hb.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(headerText);
  } catch {
    throw new NxMlcError('The safetensors header is not valid JSON', { file, fix: REDOWNLOAD });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new NxMlcError('The safetensors header is not a JSON object', { file, fix: REDOWNLOAD });
  }
  const dataStart = 8 + Buffer.byteLength(headerText, 'utf8');
  const dataSize = fileSize - dataStart;
  const tensors: TensorRef[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof entry?.dtype !== 'string' || !isSourceDType(entry.dtype)) {
      throw new NxMlcError(`Tensor "${name}" has unsupported dtype ${JSON.stringify(entry?.dtype)}`, {
        file,
        field: `${name}.dtype`,
        fix: `Supported dtypes: ${Object.keys(DTYPE_BYTES).join(', ')}. Re-save the checkpoint in bf16, f16 or f32.`,
      });
    }
    const shape = entry.shape;
    const offs = entry.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new NxMlcError(`Tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`, { file, field: `${name}.shape`, fix: REDOWNLOAD });
    }
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isInteger(d) && d >= 0) || offs[1] < offs[0]) {
      throw new NxMlcError(`Tensor "${name}" has invalid data_offsets ${JSON.stringify(offs)}`, { file, field: `${name}.data_offsets`, fix: REDOWNLOAD });
    }
    const dtype = entry.dtype as SourceDType;
    const expected = numel(shape as number[]) * DTYPE_BYTES[dtype];
    if (offs[1] - offs[0] !== expected) {
      throw new NxMlcError(
        `Tensor "${name}" occupies ${offs[1] - offs[0]} bytes but ${dtype}${JSON.stringify(shape)} needs ${expected}`,
        { file, field: `${name}.data_offsets`, fix: REDOWNLOAD },
      );
    }
    if (offs[1] > dataSize) {
      throw new NxMlcError(
        `Tensor "${name}" ends at byte ${offs[1]} of the data section, beyond its end (${dataSize} bytes): the file is truncated`,
        { file, field: `${name}.data_offsets`, fix: REDOWNLOAD },
      );
    }
    tensors.push({ name, dtype, shape: shape as number[], file, offset: dataStart + offs[0], byteLength: expected });
  }
  // Overlapping tensors mean a corrupt header (the format requires disjoint, in-bounds ranges).
  const sorted = [...tensors].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (sorted[i].offset < prev.offset + prev.byteLength) {
      throw new NxMlcError(`Tensors "${prev.name}" and "${sorted[i].name}" overlap in the data section`, { file, fix: REDOWNLOAD });
    }
  }
  return { tensors, metadata, dataStart, fileSize };
}

export interface TensorToWrite {
  name: string;
  dtype: SourceDType;
  shape: number[];
  data: Uint8Array;
}

/** Serialise tensors to safetensors bytes: names sorted, header padded with spaces to 8 bytes, as the reference writer does. */
export function encodeSafetensors(tensors: TensorToWrite[], metadata?: Record<string, string>): Buffer {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let off = 0;
  for (const t of sorted) {
    const need = numel(t.shape) * DTYPE_BYTES[t.dtype];
    if (t.data.byteLength !== need) throw new Error(`encodeSafetensors: ${t.name} has ${t.data.byteLength} bytes, ${t.dtype}${JSON.stringify(t.shape)} needs ${need}`);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + need] };
    off += need;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const hb = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + hb.length + off);
  out.writeBigUInt64LE(BigInt(hb.length), 0);
  hb.copy(out, 8);
  let p = 8 + hb.length;
  for (const t of sorted) {
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, p);
    p += t.data.byteLength;
  }
  return out;
}

export function writeSafetensors(file: string, tensors: TensorToWrite[], metadata?: Record<string, string>): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}
