// LZ4 block format (lz4/doc/lz4_Block_format.md): squashfs's lz4 compressor stores raw blocks, no frame.
import { ImageFormatError } from '../image-entry.js';

function fail(what: string): never {
  throw new ImageFormatError(`lz4: ${what}`);
}

export function decompressLz4Block(src: Buffer, maxOutput: number): Buffer {
  const out = Buffer.allocUnsafe(maxOutput);
  const end = src.length;
  let ip = 0;
  let op = 0;
  if (end === 0) fail('empty input');
  for (;;) {
    if (ip >= end) fail('data is truncated');
    const token = src[ip++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= end) fail('data is truncated');
        b = src[ip++]!;
        lit += b;
      } while (b === 255);
    }
    if (lit > end - ip) fail('literals run past the input');
    if (lit > maxOutput - op) fail(`output exceeds the ${maxOutput}-byte limit`);
    src.copy(out, op, ip, ip + lit);
    ip += lit;
    op += lit;
    // "The last sequence contains only literals": the block ends right after them.
    if (ip === end) break;
    if (end - ip < 2) fail('data is truncated');
    const dist = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (dist === 0 || dist > op) fail(`match offset ${dist} reaches before the start of the data`);
    let len = token & 15;
    if (len === 15) {
      let b: number;
      do {
        if (ip >= end) fail('data is truncated');
        b = src[ip++]!;
        len += b;
      } while (b === 255);
    }
    len += 4;
    if (len > maxOutput - op) fail(`output exceeds the ${maxOutput}-byte limit`);
    let from = op - dist;
    if (dist >= len) {
      out.copyWithin(op, from, from + len);
      op += len;
    } else {
      // Overlapping match: a repeating pattern, copied forward byte by byte.
      for (let i = 0; i < len; i++) out[op++] = out[from++]!;
    }
  }
  return out.subarray(0, op);
}
