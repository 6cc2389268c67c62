// One 512-byte tar header block decoded: ustar (POSIX.1-1988), GNU and v7 layouts, checksum verified.
import { ImageFormatError } from '../image-entry.js';

export const BLOCK = 512;

export type HeaderFormat = 'ustar' | 'gnu' | 'v7';

export interface TarHeader {
  /** prefix + "/" + name for ustar, name alone otherwise; bytes up to the first NUL, as UTF-8. */
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** The type flag byte as a character ("\0" for old regular files). */
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
  devMajor: number;
  devMinor: number;
  format: HeaderFormat;
  /** GNU 'S' members: the file's real size and whether sparse extension blocks follow the header. */
  gnuSparse?: { realSize: number; extended: boolean };
}

export function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function cstring(b: Buffer, start: number, len: number): string {
  const field = b.subarray(start, start + len);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? field.length : nul).toString('utf8');
}

/**
 * A numeric field: octal text (leading spaces, ended by NUL or space), or GNU base-256 when the first byte has
 * its high bit set (0x80 positive, 0xff negative; GNU tar's create.c to_chars / list.c from_header).
 */
export function parseNumeric(b: Buffer, start: number, len: number, what: string, at: number): number {
  const first = b[start]!;
  if (first & 0x80) {
    if (first === 0xff) throw new ImageFormatError(`tar header at byte ${at}: negative ${what}`);
    let v = first & 0x7f;
    for (let i = start + 1; i < start + len; i++) {
      v = v * 256 + b[i]!;
      if (v > Number.MAX_SAFE_INTEGER)
        throw new ImageFormatError(`tar header at byte ${at}: ${what} too large`);
    }
    return v;
  }
  let i = start;
  const end = start + len;
  while (i < end && (b[i] === 0x20 || b[i] === 0)) i++;
  let v = 0;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37)
      throw new ImageFormatError(`tar header at byte ${at}: ${what} is not an octal number`);
    v = v * 8 + (c - 0x30);
  }
  for (; i < end; i++) {
    if (b[i] !== 0 && b[i] !== 0x20)
      throw new ImageFormatError(`tar header at byte ${at}: ${what} is not an octal number`);
  }
  if (v > Number.MAX_SAFE_INTEGER) throw new ImageFormatError(`tar header at byte ${at}: ${what} too large`);
  return v;
}

/** The header checksum: the sum of all bytes with the checksum field read as eight spaces (POSIX ustar "chksum"). */
export function checksumMatches(b: Buffer): boolean {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : b[i]!;
    unsigned += c;
    signed += c > 127 ? c - 256 : c; // some historic tars summed signed chars; GNU tar accepts both
  }
  let stored: number;
  try {
    stored = parseNumeric(b, 148, 8, 'checksum', 0);
  } catch {
    return false;
  }
  return stored === unsigned || stored === signed;
}

export function parseHeader(b: Buffer, at: number): TarHeader {
  if (!checksumMatches(b)) throw new ImageFormatError(`tar header at byte ${at}: checksum mismatch`);
  const magic = b.toString('latin1', 257, 263);
  const version = b.toString('latin1', 263, 265);
  const format: HeaderFormat =
    magic === 'ustar\0' ? 'ustar' : magic === 'ustar ' && version === ' \0' ? 'gnu' : 'v7';
  let name = cstring(b, 0, 100);
  if (format === 'ustar') {
    // star puts atime/ctime after a 131-byte prefix and marks it with "tar\0" at 508 (star's tar.h).
    const prefix = cstring(b, 345, b.toString('latin1', 508, 512) === 'tar\0' ? 131 : 155);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  const typeflag = String.fromCharCode(b[156]!);
  const hasIds = format !== 'v7';
  const h: TarHeader = {
    name,
    mode: parseNumeric(b, 100, 8, 'mode', at) & 0o7777,
    uid: parseNumeric(b, 108, 8, 'uid', at),
    gid: parseNumeric(b, 116, 8, 'gid', at),
    size: parseNumeric(b, 124, 12, 'size', at),
    typeflag,
    linkname: cstring(b, 157, 100),
    uname: hasIds ? cstring(b, 265, 32) : '',
    gname: hasIds ? cstring(b, 297, 32) : '',
    devMajor: hasIds ? parseNumeric(b, 329, 8, 'devmajor', at) : 0,
    devMinor: hasIds ? parseNumeric(b, 337, 8, 'devminor', at) : 0,
    format,
  };
  if (typeflag === 'S' && format === 'gnu') {
    // oldgnu_header (GNU tar's tar.h): 4 sparse slots at 386, isextended at 482, realsize at 483.
    h.gnuSparse = { realSize: parseNumeric(b, 483, 12, 'realsize', at), extended: b[482] !== 0 };
  }
  return h;
}
