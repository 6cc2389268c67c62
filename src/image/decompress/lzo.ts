// LZO1X decompression as lzo1x_decompress_safe accepts it, written from the format description in the Linux
// kernel's Documentation/staging/lzo.rst ("LZO stream format as understood by Linux's LZO decompressor").
// Squashfs's lzo compressor stores raw LZO1X blocks (squashfs-tools lzo_wrapper.c); no LZO-RLE (version 1).
import { ImageFormatError } from '../image-entry.js';

function fail(what: string): never {
  throw new ImageFormatError(`lzo: ${what}`);
}

export function decompressLzo(src: Buffer, maxOutput: number): Buffer {
  const out = Buffer.allocUnsafe(maxOutput);
  const end = src.length;
  let ip = 0;
  let op = 0;

  const byte = (): number => {
    if (ip >= end) fail('data is truncated');
    return src[ip++]!;
  };
  /** The variable length of lzo.rst: zero bytes add 255 each, then the first non-zero byte. */
  const longLength = (base: number): number => {
    let n = base;
    for (;;) {
      const b = byte();
      if (b !== 0) return n + b;
      n += 255;
      if (n > maxOutput) fail(`output exceeds the ${maxOutput}-byte limit`);
    }
  };
  const literals = (n: number): void => {
    if (n > end - ip) fail('literals run past the input');
    if (n > maxOutput - op) fail(`output exceeds the ${maxOutput}-byte limit`);
    src.copy(out, op, ip, ip + n);
    ip += n;
    op += n;
  };

  // state: literals copied after the previous instruction (0, 1..3, or 4 for a literal run of 4 or more).
  let state = 0;
  if (end === 0) fail('empty input');
  if (src[0]! > 17) {
    const n = src[0]! - 17;
    ip = 1;
    literals(n);
    state = n < 4 ? n : 4;
  }
  for (;;) {
    const inst = byte();
    let len: number;
    let dist: number;
    let next: number;
    if (inst < 16) {
      if (state === 0) {
        // 0000LLLL after no literals: a run of 4 or more literals.
        literals(3 + (inst === 0 ? longLength(15) : inst));
        state = 4;
        continue;
      }
      const h = byte();
      // 0000DDSS: after 1..3 literals a 2-byte match within 1 KiB, after a run a 3-byte match 2..3 KiB back.
      len = state < 4 ? 2 : 3;
      dist = (h << 2) + (inst >> 2) + (state < 4 ? 1 : 2049);
      next = inst & 3;
    } else if (inst < 32) {
      // 0001HLLL + LE16: a match 16..48 KiB back; distance 16384 exactly ends the stream.
      len = 2 + ((inst & 7) === 0 ? longLength(7) : inst & 7);
      const lo = byte();
      const hi = byte();
      const le16 = lo | (hi << 8);
      dist = 16384 + ((inst & 8) << 11) + (le16 >> 2);
      next = lo & 3;
      if (dist === 16384) {
        if (ip !== end) fail('data continues after the end marker');
        return out.subarray(0, op);
      }
    } else if (inst < 64) {
      // 001LLLLL + LE16: a match within 16 KiB.
      len = 2 + ((inst & 31) === 0 ? longLength(31) : inst & 31);
      const lo = byte();
      const hi = byte();
      dist = ((lo | (hi << 8)) >> 2) + 1;
      next = lo & 3;
    } else {
      // 01LDDDSS / 1LLDDDSS + one byte: a 3..8-byte match within 2 KiB.
      len = inst < 128 ? 3 + ((inst >> 5) & 1) : 5 + ((inst >> 5) & 3);
      dist = (byte() << 3) + ((inst >> 2) & 7) + 1;
      next = inst & 3;
    }
    if (dist > op) fail(`match distance ${dist} reaches before the start of the data`);
    if (len > maxOutput - op) fail(`output exceeds the ${maxOutput}-byte limit`);
    let from = op - dist;
    if (dist >= len) {
      out.copyWithin(op, from, from + len);
      op += len;
    } else {
      for (let i = 0; i < len; i++) out[op++] = out[from++]!;
    }
    literals(next);
    state = next;
  }
}
