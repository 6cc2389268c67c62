// Reads the JSON entries of a zip archive (an OSV export such as all.zip) without extracting it: bounded against zip bombs.
import * as fs from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { InputError } from '../errors.js';

export interface ZipLimits {
  maxEntries: number;
  maxEntryBytes: number;
  maxTotalBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxEntries: 200000, maxEntryBytes: 8 * 1024 * 1024, maxTotalBytes: 1024 * 1024 * 1024 };
const MAX_ZIP_BYTES = 2 * 1024 * 1024 * 1024;

/** PKWARE APPNOTE.TXT 4.3.16: the end of central directory record, searched for in the last 64 KiB + 22 bytes. */
function findEocd(buf: Buffer): number {
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) if (buf.readUInt32LE(i) === 0x06054b50) return i;
  return -1;
}

export function readZipJsonEntries(file: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): { name: string; text: string }[] {
  const size = fs.statSync(file).size;
  if (size > MAX_ZIP_BYTES) throw new InputError(`${file}: zip larger than 2 GiB`);
  const buf = fs.readFileSync(file);
  const eocd = findEocd(buf);
  if (eocd < 0) throw new InputError(`${file}: not a zip archive (no end of central directory)`);
  const count = buf.readUInt16LE(eocd + 10);
  const cdSize = buf.readUInt32LE(eocd + 12);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new InputError(`${file}: zip64 archives are not supported`);
  if (count > limits.maxEntries) throw new InputError(`${file}: more than ${limits.maxEntries} entries`);
  if (cdOffset + cdSize > buf.length) throw new InputError(`${file}: truncated zip (central directory past the end)`);
  const out: { name: string; text: string }[] = [];
  let total = 0;
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw new InputError(`${file}: corrupt central directory at entry ${n}`);
    const method = buf.readUInt16LE(p + 10);
    const csize = buf.readUInt32LE(p + 20);
    const usize = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    p += 46 + nameLen + extraLen + commentLen;
    if (!name.endsWith('.json') || name.endsWith('/')) continue;
    if (usize > limits.maxEntryBytes) throw new InputError(`${file}: entry ${name} is larger than ${limits.maxEntryBytes} bytes`);
    total += usize;
    if (total > limits.maxTotalBytes) throw new InputError(`${file}: more than ${limits.maxTotalBytes} bytes of JSON`);
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== 0x04034b50) throw new InputError(`${file}: corrupt local header for ${name}`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    if (start + csize > buf.length) throw new InputError(`${file}: entry ${name} runs past the end`);
    const data = buf.subarray(start, start + csize);
    let raw: Buffer;
    if (method === 0) raw = data;
    else if (method === 8) {
      try {
        // The output cap stops a zip bomb whose central directory lies about the size.
        raw = inflateRawSync(data, { maxOutputLength: limits.maxEntryBytes });
      } catch {
        throw new InputError(`${file}: entry ${name} does not inflate (corrupt, or larger than it claims)`);
      }
    } else throw new InputError(`${file}: entry ${name} uses unsupported compression method ${method}`);
    out.push({ name, text: raw.toString('utf8') });
  }
  return out;
}
