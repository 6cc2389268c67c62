// Reads the JSON members of a zip archive (an OSV export such as osv.dev's all.zip) one at a time, without extracting
// it: zip64, bounded memory, and every byte counted as inflated rather than as the archive claims.
import * as fs from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { InputError } from '../errors.js';

export interface ZipLimits {
  maxEntries: number;
  /** Inflated bytes one member may have. */
  maxEntryBytes: number;
  /** Inflated bytes of all JSON members together. */
  maxTotalBytes: number;
  /** Bytes of the central directory (~100 bytes an entry). */
  maxDirectoryBytes: number;
}

/**
 * osv.dev's largest ecosystem export (Ubuntu) is ~2 GB of JSON in ~150,000 members, a kernel record at most a few
 * hundred KB; members are inflated one by one, so memory stays near one member whatever the totals.
 */
export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntries: 1_000_000,
  maxEntryBytes: 8 * 1024 * 1024,
  maxTotalBytes: 16 * 1024 ** 3,
  maxDirectoryBytes: 256 * 1024 * 1024,
};

// PKWARE APPNOTE.TXT 6.3.10: signatures and fixed record sizes.
const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const EOCD = 22;
const EOCD64_LOCATOR = 20;
const EOCD64 = 56;
const CENTRAL = 46;
const LOCAL = 30;
const ZIP64_EXTRA = 0x0001;

export interface ZipMember {
  name: string;
  text: string;
}

interface Entry {
  name: string;
  method: number;
  flags: number;
  csize: number;
  usize: number;
  local: number;
}

function readAt(fd: number, pos: number, len: number, size: number, file: string, what: string): Buffer {
  if (pos < 0 || len < 0 || pos + len > size)
    throw new InputError(`${file}: ${what} lies outside the file (corrupt zip)`);
  const b = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, b, got, len - got, pos + got);
    if (n === 0) throw new InputError(`${file}: ${what} ends early (truncated zip)`);
    got += n;
  }
  return b;
}

/**
 * Reads through a 4 MiB window: members are usually stored in directory order, so one read serves many of them
 * (an export of 150,000 members is otherwise 300,000 system calls).
 */
class WindowReader {
  private start = 0;
  private buf: Buffer = Buffer.alloc(0);
  constructor(
    private readonly fd: number,
    private readonly size: number,
    private readonly file: string,
  ) {}
  read(pos: number, len: number, what: string): Buffer {
    if (pos >= this.start && pos + len <= this.start + this.buf.length)
      return this.buf.subarray(pos - this.start, pos - this.start + len);
    if (pos < 0 || len < 0 || pos + len > this.size)
      throw new InputError(`${this.file}: ${what} lies outside the file (corrupt zip)`);
    const want = Math.min(this.size - pos, Math.max(len, 4 * 1024 * 1024));
    this.buf = readAt(this.fd, pos, want, this.size, this.file, what);
    this.start = pos;
    return this.buf.subarray(0, len);
  }
}

/** A 64-bit little-endian field as a safe integer (zip64 sizes and offsets); larger values are corrupt here. */
function u64(b: Buffer, at: number, file: string): number {
  const v = b.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER))
    throw new InputError(`${file}: zip64 value out of range (corrupt zip)`);
  return Number(v);
}

/** APPNOTE 4.3.16 / 4.3.14-15: the end of central directory, and its zip64 form when the classic one overflows. */
function centralDirectory(
  fd: number,
  size: number,
  file: string,
): { count: number; offset: number; bytes: number } {
  const tailLen = Math.min(size, 65535 + EOCD);
  const tail = readAt(fd, size - tailLen, tailLen, size, file, 'end of archive');
  let e = -1;
  for (let i = tail.length - EOCD; i >= 0; i--)
    if (tail.readUInt32LE(i) === SIG_EOCD && i + EOCD + tail.readUInt16LE(i + 20) <= tail.length) {
      e = i;
      break;
    }
  if (e < 0) throw new InputError(`${file}: not a zip archive (no end of central directory)`);
  let count = tail.readUInt16LE(e + 10);
  let bytes = tail.readUInt32LE(e + 12);
  let offset = tail.readUInt32LE(e + 16);
  const eocdPos = size - tailLen + e;
  const loc = eocdPos - EOCD64_LOCATOR;
  if (loc >= 0) {
    const l = readAt(fd, loc, EOCD64_LOCATOR, size, file, 'zip64 locator');
    if (l.readUInt32LE(0) === SIG_EOCD64_LOCATOR) {
      const at = u64(l, 8, file);
      const r = readAt(fd, at, EOCD64, size, file, 'zip64 end of central directory');
      if (r.readUInt32LE(0) !== SIG_EOCD64)
        throw new InputError(`${file}: corrupt zip64 end of central directory`);
      count = u64(r, 32, file);
      bytes = u64(r, 40, file);
      offset = u64(r, 48, file);
    } else if (count === 0xffff || bytes === 0xffffffff || offset === 0xffffffff)
      throw new InputError(`${file}: zip64 archive without its zip64 end of central directory (corrupt zip)`);
  }
  return { count, offset, bytes };
}

/** The central directory's entries, with zip64 extra fields (APPNOTE 4.5.3) applied. */
function* entries(cd: Buffer, count: number, file: string): Generator<Entry> {
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + CENTRAL > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL)
      throw new InputError(`${file}: corrupt central directory at entry ${n}`);
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    let csize = cd.readUInt32LE(p + 20);
    let usize = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    let local = cd.readUInt32LE(p + 42);
    if (p + CENTRAL + nameLen + extraLen + commentLen > cd.length)
      throw new InputError(`${file}: corrupt central directory at entry ${n}`);
    const name = cd.subarray(p + CENTRAL, p + CENTRAL + nameLen).toString('utf8');
    const extra = cd.subarray(p + CENTRAL + nameLen, p + CENTRAL + nameLen + extraLen);
    for (let x = 0; x + 4 <= extra.length;) {
      const id = extra.readUInt16LE(x);
      const len = extra.readUInt16LE(x + 2);
      if (id === ZIP64_EXTRA) {
        // Only the fields whose classic value is all ones are present, in this order.
        let q = x + 4;
        const take = () => {
          if (q + 8 > x + 4 + len || q + 8 > extra.length)
            throw new InputError(`${file}: corrupt zip64 field for ${JSON.stringify(name)}`);
          const v = u64(extra, q, file);
          q += 8;
          return v;
        };
        if (usize === 0xffffffff) usize = take();
        if (csize === 0xffffffff) csize = take();
        if (local === 0xffffffff) local = take();
      }
      x += 4 + len;
    }
    yield { name, method, flags, csize, usize, local };
    p += CENTRAL + nameLen + extraLen + commentLen;
  }
}

/**
 * The JSON members in central-directory order, inflated one at a time. Refused before anything is inflated: members
 * that share or overlap each other's bytes (a "zip bomb" of many entries pointing at one large member), compressed
 * sizes beyond what a member may inflate to, encryption. While inflating, the bytes actually produced are counted
 * against the per-member and total limits, whatever sizes the directory claims.
 */
export function* readZipJsonEntries(
  file: string,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): Generator<ZipMember> {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const dir = centralDirectory(fd, size, file);
    if (dir.count > limits.maxEntries)
      throw new InputError(`${file}: more than ${limits.maxEntries} entries`);
    if (dir.bytes > limits.maxDirectoryBytes)
      throw new InputError(`${file}: central directory larger than ${limits.maxDirectoryBytes} bytes`);
    const cd = readAt(fd, dir.offset, dir.bytes, size, file, 'central directory');
    const wanted: Entry[] = [];
    const spans: [number, number, string][] = [];
    const win = new WindowReader(fd, size, file);
    for (const e of entries(cd, dir.count, file)) {
      if (e.name.endsWith('/')) continue;
      // Every member's bytes, JSON or not, so none can overlap a JSON member's.
      const head = win.read(e.local, LOCAL, `local header of ${JSON.stringify(e.name)}`);
      if (head.readUInt32LE(0) !== SIG_LOCAL)
        throw new InputError(`${file}: corrupt local header for ${JSON.stringify(e.name)}`);
      const start = e.local + LOCAL + head.readUInt16LE(26) + head.readUInt16LE(28);
      spans.push([e.local, start + e.csize, e.name]);
      if (e.name.endsWith('.json')) wanted.push({ ...e, local: start });
    }
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++)
      if (spans[i]![0] < spans[i - 1]![1])
        throw new InputError(
          `${file}: members ${JSON.stringify(spans[i - 1]![2])} and ${JSON.stringify(spans[i]![2])} share bytes (overlapping or repeated local headers: a zip bomb)`,
        );
    let total = 0;
    for (const e of wanted) {
      const label = JSON.stringify(e.name);
      if (e.flags & 1) throw new InputError(`${file}: entry ${label} is encrypted`);
      if (e.usize > limits.maxEntryBytes)
        throw new InputError(`${file}: entry ${label} is larger than ${limits.maxEntryBytes} bytes`);
      // Deflate never grows data by more than a few bytes per 16 KiB block (RFC 1951 3.2.4 stored blocks).
      if (e.csize > limits.maxEntryBytes + (limits.maxEntryBytes >> 10) + 1024)
        throw new InputError(
          `${file}: entry ${label} has ${e.csize} compressed bytes, more than it may inflate to`,
        );
      const data = win.read(e.local, e.csize, `data of ${label}`);
      let raw: Buffer;
      if (e.method === 0) raw = data;
      else if (e.method === 8) {
        try {
          raw = inflateRawSync(data, { maxOutputLength: limits.maxEntryBytes });
        } catch {
          throw new InputError(
            `${file}: entry ${label} does not inflate within ${limits.maxEntryBytes} bytes (corrupt, or larger than it claims)`,
          );
        }
      } else throw new InputError(`${file}: entry ${label} uses unsupported compression method ${e.method}`);
      total += raw.length;
      if (total > limits.maxTotalBytes)
        throw new InputError(`${file}: more than ${limits.maxTotalBytes} bytes of JSON`);
      yield { name: e.name, text: raw.toString('utf8') };
    }
  } finally {
    fs.closeSync(fd);
  }
}
