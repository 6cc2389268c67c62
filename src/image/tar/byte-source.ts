// Where the tar parser reads bytes from: a stream (member data passes through, never kept) or a file (data skipped by seeking).
import * as fs from 'node:fs';
import { ImageFormatError } from '../image-entry.js';

const EMPTY = Buffer.alloc(0);
const FILE_WINDOW = 64 * 1024; // one read() for the headers of many small members
const FILE_CHUNK = 1024 * 1024;

export interface ByteSource {
  /** Offset of the next byte, counted from the start of the (decompressed) input. */
  readonly position: number;
  /** Exactly n bytes; null when the input ends before the first of them; an ImageFormatError when it ends inside. */
  read(n: number): Promise<Buffer | null>;
  /** Up to n bytes: fewer only where the input ends. */
  readSome(n: number): Promise<Buffer>;
  /** Passes over n bytes without keeping them. */
  skip(n: number): Promise<void>;
  /** The next n bytes as chunks; none is kept once the consumer moves on. */
  chunks(n: number): AsyncGenerator<Buffer>;
  close(): Promise<void>;
}

export type ByteInput = AsyncIterable<Buffer | Uint8Array | string> | NodeJS.ReadableStream;

function toBuffer(v: Buffer | Uint8Array | string): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'latin1');
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function truncated(at: number): ImageFormatError {
  return new ImageFormatError(`tar: input ends inside a member or header at byte ${at}`);
}

/** Reads an async iterable of chunks; only the current chunk is held. */
export class StreamSource implements ByteSource {
  position = 0;
  private cur: Buffer = EMPTY;
  private off = 0;
  private done = false;
  private readonly it: AsyncIterator<Buffer | Uint8Array | string>;

  constructor(input: ByteInput) {
    this.it = (input as AsyncIterable<Buffer | Uint8Array | string>)[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    while (this.off >= this.cur.length) {
      if (this.done) return false;
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        this.cur = EMPTY;
        this.off = 0;
        return false;
      }
      this.cur = toBuffer(r.value);
      this.off = 0;
    }
    return true;
  }

  async read(n: number): Promise<Buffer | null> {
    const b = await this.readSome(n);
    if (b.length === 0 && n > 0) return null;
    if (b.length < n) throw truncated(this.position);
    return b;
  }

  async readSome(n: number): Promise<Buffer> {
    if (n === 0 || !(await this.fill())) return EMPTY;
    if (this.cur.length - this.off >= n) {
      const b = this.cur.subarray(this.off, this.off + n);
      this.off += n;
      this.position += n;
      return b;
    }
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n && (await this.fill())) {
      const take = Math.min(n - got, this.cur.length - this.off);
      this.cur.copy(out, got, this.off, this.off + take);
      got += take;
      this.off += take;
      this.position += take;
    }
    return out.subarray(0, got);
  }

  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) throw truncated(this.position);
      const take = Math.min(left, this.cur.length - this.off);
      this.off += take;
      this.position += take;
      left -= take;
    }
  }

  async *chunks(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) throw truncated(this.position);
      const take = Math.min(left, this.cur.length - this.off);
      const b = this.cur.subarray(this.off, this.off + take);
      this.off += take;
      this.position += take;
      left -= take;
      yield b;
    }
  }

  async close(): Promise<void> {
    this.cur = EMPTY;
    if (!this.done) {
      this.done = true;
      await this.it.return?.();
    }
  }
}

/** Reads a byte range of an uncompressed file with positional reads: skipping member data costs nothing. */
export class FileSource implements ByteSource {
  private win: Buffer = EMPTY;
  private winAt = 0;

  private constructor(
    private readonly fh: fs.promises.FileHandle,
    public position: number,
    private readonly end: number,
  ) {}

  static async open(file: string, start = 0, length?: number): Promise<FileSource> {
    const fh = await fs.promises.open(file, 'r');
    try {
      const size = (await fh.stat()).size;
      const end = length === undefined ? size : Math.min(size, start + length);
      return new FileSource(fh, start, end);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  private async pread(buf: Buffer, at: number): Promise<void> {
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await this.fh.read(buf, got, buf.length - got, at + got);
      if (bytesRead === 0) throw truncated(at + got); // the file shrank under us
      got += bytesRead;
    }
  }

  async read(n: number): Promise<Buffer | null> {
    const b = await this.readSome(n);
    if (b.length === 0 && n > 0) return null;
    if (b.length < n) throw truncated(this.end);
    return b;
  }

  async readSome(want: number): Promise<Buffer> {
    const n = Math.min(want, this.end - this.position);
    if (n <= 0) return EMPTY;
    const rel = this.position - this.winAt;
    if (rel < 0 || rel + n > this.win.length) {
      this.win = Buffer.allocUnsafe(Math.min(Math.max(n, FILE_WINDOW), this.end - this.position));
      this.winAt = this.position;
      await this.pread(this.win, this.winAt);
    }
    const start = this.position - this.winAt;
    this.position += n;
    return this.win.subarray(start, start + n);
  }

  async skip(n: number): Promise<void> {
    if (this.position + n > this.end) throw truncated(this.end);
    this.position += n;
  }

  async *chunks(n: number): AsyncGenerator<Buffer> {
    if (this.position + n > this.end) throw truncated(this.end);
    let left = n;
    while (left > 0) {
      const b = Buffer.allocUnsafe(Math.min(left, FILE_CHUNK));
      const at = this.position;
      this.position += b.length;
      left -= b.length;
      await this.pread(b, at);
      yield b;
    }
  }

  async close(): Promise<void> {
    this.win = EMPTY;
    await this.fh.close();
  }
}
