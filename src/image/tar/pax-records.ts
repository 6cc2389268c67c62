// PAX extended header records, parsed as bytes: values (xattrs above all) may hold any byte, NUL and newline included.
import { ImageFormatError } from '../image-entry.js';

/**
 * POSIX pax "pax Extended Header": records "<length> <keyword>=<value>\n", length in decimal counting the whole
 * record. The length prefix is the only delimiter: a value may contain "\n" and "=", so the text is never split.
 */
export function parsePaxRecords(data: Buffer, at: number): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let p = 0;
  while (p < data.length) {
    if (data[p] === 0) {
      // Trailing NUL padding some writers leave inside the declared size.
      for (let i = p; i < data.length; i++) {
        if (data[i] !== 0)
          throw new ImageFormatError(`tar PAX header at byte ${at}: bytes after NUL padding`);
      }
      break;
    }
    let len = 0;
    let q = p;
    while (q < data.length && data[q]! >= 0x30 && data[q]! <= 0x39 && q - p < 16) {
      len = len * 10 + (data[q]! - 0x30);
      q++;
    }
    if (q === p || q >= data.length || data[q] !== 0x20) {
      throw new ImageFormatError(`tar PAX header at byte ${at}: record ${out.size + 1} has no length`);
    }
    const end = p + len;
    if (len < q - p + 3 || end > data.length || data[end - 1] !== 0x0a) {
      throw new ImageFormatError(
        `tar PAX header at byte ${at}: record ${out.size + 1} has a bad length ${len}`,
      );
    }
    const rel = data.subarray(q + 1, end - 1).indexOf(0x3d);
    const eq = q + 1 + rel;
    if (rel <= 0) {
      throw new ImageFormatError(`tar PAX header at byte ${at}: record ${out.size + 1} has no keyword`);
    }
    const key = data.toString('utf8', q + 1, eq);
    out.set(key, data.subarray(eq + 1, end - 1));
    p = end;
  }
  return out;
}

/** A decimal PAX value (size, uid, gid, devmajor): digits only, within the safe integer range. */
export function paxNumber(v: Buffer, key: string, at: number): number {
  const s = v.toString('latin1');
  if (!/^[0-9]{1,16}$/.test(s) || Number(s) > Number.MAX_SAFE_INTEGER) {
    throw new ImageFormatError(`tar PAX header at byte ${at}: ${key} is not a number`);
  }
  return Number(s);
}

/** libarchive writes xattr names %-escaped (archive_write_set_format_pax.c url_encode): decode to bytes, then UTF-8. */
export function decodeUrlName(s: string, at: number): string {
  if (!s.includes('%')) return s;
  const src = Buffer.from(s, 'utf8');
  const bytes: number[] = [];
  for (let i = 0; i < src.length; i++) {
    if (src[i] !== 0x25) {
      bytes.push(src[i]!);
      continue;
    }
    const hex = src.toString('latin1', i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex))
      throw new ImageFormatError(`tar PAX header at byte ${at}: bad %-escape in xattr name`);
    bytes.push(parseInt(hex, 16));
    i += 2;
  }
  return Buffer.from(bytes).toString('utf8');
}

/** libarchive's xattr values are base64 (RFC 4648, padding optional); anything else is malformed. */
export function decodeBase64(v: Buffer, at: number): Buffer {
  const s = v.toString('latin1');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.replace(/=+$/, '').length % 4 === 1) {
    throw new ImageFormatError(`tar PAX header at byte ${at}: LIBARCHIVE.xattr value is not base64`);
  }
  return Buffer.from(s, 'base64');
}
