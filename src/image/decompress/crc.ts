// CRC-32 and CRC-64 (ECMA-182, reflected) as the .xz format checks them (xz-file-format-1.2.1.txt §6).

const CRC32_TABLE = new Uint32Array(256);
// CRC-64 as two 32-bit halves: JS bit operators are 32-bit and BigInt would be far too slow per byte.
const CRC64_LO = new Uint32Array(256);
const CRC64_HI = new Uint32Array(256);

for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC32_TABLE[i] = c >>> 0;
  // Reflected ECMA-182 polynomial 0xC96C5795D7870F42.
  let lo = i;
  let hi = 0;
  for (let k = 0; k < 8; k++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry) {
      lo = (lo ^ 0xd7870f42) >>> 0;
      hi = (hi ^ 0xc96c5795) >>> 0;
    }
  }
  CRC64_LO[i] = lo;
  CRC64_HI[i] = hi;
}

/** CRC-32 of buf[start, end), continuing from `crc` (0 to start). */
export function crc32(buf: Uint8Array, start = 0, end = buf.length, crc = 0): number {
  let c = ~crc;
  for (let i = start; i < end; i++) c = CRC32_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** Running CRC-64; `lo`/`hi` are the halves of the finished value. */
export class Crc64 {
  private lo = 0xffffffff;
  private hi = 0xffffffff;

  update(buf: Uint8Array, start = 0, end = buf.length): void {
    let lo = this.lo;
    let hi = this.hi;
    for (let i = start; i < end; i++) {
      const t = (lo ^ buf[i]!) & 0xff;
      lo = CRC64_LO[t]! ^ ((lo >>> 8) | (hi << 24));
      hi = CRC64_HI[t]! ^ (hi >>> 8);
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /** The finished CRC as the 8 little-endian bytes the .xz block check stores. */
  digest(): Buffer {
    const out = Buffer.alloc(8);
    out.writeUInt32LE(~this.lo >>> 0, 0);
    out.writeUInt32LE(~this.hi >>> 0, 4);
    return out;
  }
}
