// Input bytes waiting to be decoded by a streaming decoder: chunks are joined only when a read needs them joined.

const EMPTY = Buffer.alloc(0);

export class ByteQueue {
  /** The first chunk; unread bytes start at `pos`. */
  head: Buffer = EMPTY;
  pos = 0;
  /** Bytes skipped since the queue was made: a stream position for size checks. */
  consumedBytes = 0;
  private rest: Buffer[] = [];
  private restBytes = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.pos >= this.head.length && this.rest.length === 0) {
      this.head = chunk;
      this.pos = 0;
    } else {
      this.rest.push(chunk);
      this.restBytes += chunk.length;
    }
  }

  get size(): number {
    return this.head.length - this.pos + this.restBytes;
  }

  /**
   * Makes `n` bytes readable contiguously at head[pos...]; false when fewer are queued. Joining waits
   * until enough bytes have arrived, so feeding one byte at a time stays linear.
   */
  ensure(n: number): boolean {
    if (this.head.length - this.pos >= n) return true;
    if (this.size < n) return false;
    const parts = [this.head.subarray(this.pos)];
    let have = parts[0]!.length;
    while (have < n) {
      const c = this.rest.shift()!;
      parts.push(c);
      have += c.length;
      this.restBytes -= c.length;
    }
    this.head = Buffer.concat(parts, have);
    this.pos = 0;
    return true;
  }

  skip(n: number): void {
    if (!this.ensure(n)) throw new Error('ByteQueue.skip past the queued bytes');
    this.pos += n;
    this.consumedBytes += n;
  }
}
