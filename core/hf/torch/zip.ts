import * as fs from 'node:fs';
import { NxMlcError } from '../../support/errors';

/**
 * Just enough of the zip format to find where each record of a `torch.save` archive lies: the end
 * record (classic or zip64), the central directory (with zip64 extra fields), and the local header of
 * each record we read, whose extra field (torch's 64-byte "FB" padding) differs from the central one.
 * Nothing is decompressed: torch stores records uncompressed, so a record is a byte range of the file.
 */

export interface ZipEntry {
  name: string;
  /** 0 = stored; anything else is compressed and cannot be read in place. */
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export interface ZipDirectory {
  file: string;
  fileSize: number;
  /** Entries in central-directory order. */
  entries: ZipEntry[];
  byName: Map<string, ZipEntry>;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const MAX_CENTRAL_DIR = 256 * 1024 * 1024; // far above any real checkpoint's directory (~100 bytes a record)
const ZIP64_EXTRA_ID = 0x0001;

const CORRUPT_FIX = 'The archive is truncated or corrupt: download it again, or re-save it with torch.save.';

function corrupt(file: string, what: string): NxMlcError {
  return new NxMlcError(`Corrupt zip archive: ${what}`, { file, fix: CORRUPT_FIX });
}

export function readAt(fd: number, file: string, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw corrupt(file, `unexpected end of file reading ${length} bytes at offset ${position}`);
    done += n;
  }
  return buf;
}

function u64(file: string, buf: Buffer, at: number, what: string): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(file, `${what} ${v} is out of range`);
  return Number(v);
}

/** Locate and parse the central directory. `fd` must be open on `file`. */
export function readZipDirectory(fd: number, file: string, fileSize: number): ZipDirectory {
  if (fileSize < EOCD_SIZE) throw corrupt(file, `only ${fileSize} bytes, too short for a zip end record`);
  const tailLen = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT);
  const tailStart = fileSize - tailLen;
  const tail = readAt(fd, file, tailStart, tailLen);
  let eocd = -1;
  for (let p = tailLen - EOCD_SIZE; p >= 0; p--) {
    if (tail.readUInt32LE(p) === SIG_EOCD && p + EOCD_SIZE + tail.readUInt16LE(p + 20) <= tailLen) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) throw corrupt(file, 'no end-of-central-directory record (the file is probably truncated)');

  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  // torch's writer always adds a zip64 end record (miniz in zip64 mode); past 4 GiB only it is right.
  const locatorAt = eocd - 20;
  if (locatorAt >= 0 && tail.readUInt32LE(locatorAt) === SIG_ZIP64_LOCATOR) {
    const z64Offset = u64(file, tail, locatorAt + 8, 'zip64 end record offset');
    if (z64Offset + 56 > fileSize) throw corrupt(file, 'zip64 end record lies past the end of the file');
    const z64 = readAt(fd, file, z64Offset, 56);
    if (z64.readUInt32LE(0) !== SIG_ZIP64_EOCD) throw corrupt(file, 'zip64 end record signature mismatch');
    count = u64(file, z64, 32, 'entry count');
    cdSize = u64(file, z64, 40, 'central directory size');
    cdOffset = u64(file, z64, 48, 'central directory offset');
  } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    throw corrupt(file, 'the end record needs zip64 values but the zip64 locator is missing');
  }
  if (cdSize > MAX_CENTRAL_DIR || cdOffset + cdSize > fileSize) {
    throw corrupt(file, `central directory (${cdSize} bytes at offset ${cdOffset}) lies outside the ${fileSize}-byte file`);
  }

  const cd = readAt(fd, file, cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  const byName = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL) {
      throw corrupt(file, `central directory record ${i} of ${count} is missing or has a bad signature`);
    }
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    let compressedSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    let localHeaderOffset = cd.readUInt32LE(p + 42);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cd.length) throw corrupt(file, `central directory record ${i} runs past the directory`);
    const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
    // zip64 extra field: 8-byte values for exactly those fields whose 32-bit slot is 0xFFFFFFFF, in order.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = cd.readUInt16LE(x);
      const len = cd.readUInt16LE(x + 2);
      if (x + 4 + len > xEnd) throw corrupt(file, `extra field of "${name}" runs past its record`);
      if (id === ZIP64_EXTRA_ID) {
        let q = x + 4;
        const take = (what: string): number => {
          if (q + 8 > x + 4 + len) throw corrupt(file, `zip64 extra field of "${name}" lacks the ${what}`);
          const v = u64(file, cd, q, what);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = take('uncompressed size');
        if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take('local header offset');
      }
      x += 4 + len;
    }
    if (size === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
      throw corrupt(file, `"${name}" needs a zip64 extra field but has none`);
    }
    const entry: ZipEntry = { name, method, flags, compressedSize, size, localHeaderOffset };
    entries.push(entry);
    if (!byName.has(name)) byName.set(name, entry);
    p = end;
  }
  return { file, fileSize, entries, byName };
}

/** Absolute offset of an entry's data: after its local header, whose name and extra field we must skip. */
export function entryDataOffset(fd: number, dir: ZipDirectory, entry: ZipEntry): number {
  const { file } = dir;
  if (entry.localHeaderOffset + 30 > dir.fileSize) throw corrupt(file, `local header of "${entry.name}" lies past the end of the file`);
  const h = readAt(fd, file, entry.localHeaderOffset, 30);
  if (h.readUInt32LE(0) !== SIG_LOCAL) throw corrupt(file, `local header of "${entry.name}" has a bad signature`);
  const nameLen = h.readUInt16LE(26);
  const extraLen = h.readUInt16LE(28);
  const localName = readAt(fd, file, entry.localHeaderOffset + 30, nameLen).toString('utf8');
  if (localName !== entry.name) throw corrupt(file, `local header names "${localName}" where the directory says "${entry.name}"`);
  const start = entry.localHeaderOffset + 30 + nameLen + extraLen;
  if (start + entry.compressedSize > dir.fileSize) {
    throw corrupt(file, `data of "${entry.name}" (${entry.compressedSize} bytes at ${start}) runs past the end of the file`);
  }
  return start;
}
