// The LZ77 dictionary LZMA and LZMA2 decode into: a circular buffer that grows up to the dictionary size only as output needs.
export class LzWindow {
  buf: Uint8Array;
  /** Next write position in `buf`. */
  pos = 0;
  /** First byte not yet handed out by flush(). */
  private start = 0;
  /** Bytes a back-reference may reach: written since the last reset, at most buf.length. */
  filled = 0;
  /** Bytes written since the last reset: LZMA's position, whose low bits select pb/lp contexts. */
  total = 0;

  /**
   * A declared dictionary of 64 MiB must not cost 64 MiB for a 1 KiB stream, so the buffer starts small
   * and doubles while nothing has wrapped yet (xz's own decoder allocates the whole dictionary up front).
   */
  constructor(
    readonly maxSize: number,
    initialSize = 64 * 1024,
  ) {
    this.buf = new Uint8Array(Math.max(1, Math.min(maxSize, initialSize)));
  }

  reset(): void {
    this.pos = 0;
    this.start = 0;
    this.filled = 0;
    this.total = 0;
  }

  /** Bytes writable before the buffer end, growing or wrapping it first when it is full (and flushed). */
  room(): number {
    if (this.pos === this.buf.length) {
      if (this.start !== this.pos) throw new Error('LzWindow: wrap before flush');
      if (this.buf.length < this.maxSize) {
        const grown = new Uint8Array(Math.min(this.maxSize, this.buf.length * 2));
        grown.set(this.buf);
        this.buf = grown;
      } else {
        this.pos = 0;
        this.start = 0;
      }
    }
    return this.buf.length - this.pos;
  }

  /** Accounts for `n` bytes just written at pos by a decoder. */
  advance(n: number): void {
    this.pos += n;
    this.total += n;
    this.filled = Math.min(this.filled + n, this.buf.length);
  }

  /** Copies stored (uncompressed) bytes in; the caller has made room() for them. */
  write(src: Uint8Array, at: number, n: number): void {
    this.buf.set(src.subarray(at, at + n), this.pos);
    this.advance(n);
  }

  /** A copy of the bytes written since the last flush, or null when there are none. */
  flush(): Buffer | null {
    if (this.pos === this.start) return null;
    const out = Buffer.from(this.buf.subarray(this.start, this.pos));
    this.start = this.pos;
    return out;
  }
}
