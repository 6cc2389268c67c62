// Bytes of one squashfs image inside a file (at an offset when SIF embeds it), read through a reusable window.
import * as fs from 'node:fs';
import { ImageFormatError } from '../image-entry.js';

const WINDOW = 128 * 1024;

export class ImageFile {
  private buf = Buffer.alloc(WINDOW);
  private winStart = 0;
  private winLen = 0;

  private constructor(
    private fd: number | null,
    /** Where the image starts in the file. */
    readonly base: number,
    /** Image bytes actually present: the requested length, cut short where the file ends. */
    readonly length: number,
  ) {}

  static open(file: string, offset = 0, length?: number): ImageFile {
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new ImageFormatError(`invalid squashfs offset ${offset}`);
    const fd = fs.openSync(file, 'r');
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) throw new ImageFormatError(`${file} is not a regular file`);
      if (offset > st.size)
        throw new ImageFormatError(`squashfs offset ${offset} is past the end of the ${st.size}-byte file`);
      const avail = st.size - offset;
      return new ImageFile(fd, offset, length === undefined ? avail : Math.min(Math.max(0, length), avail));
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  /**
   * `len` bytes at image position `pos`, as a view that stays valid until the next read. Reading past the
   * image is a truncated (or lying) image.
   */
  read(pos: number, len: number, what: string): Buffer {
    if (pos < 0 || len < 0 || pos + len > this.length) {
      throw new ImageFormatError(
        `squashfs image is truncated: ${what} needs bytes ${pos}..${pos + len} of ${this.length}`,
      );
    }
    if (pos >= this.winStart && pos + len <= this.winStart + this.winLen) {
      return this.buf.subarray(pos - this.winStart, pos - this.winStart + len);
    }
    if (this.fd === null) throw new Error('ImageFile read after close');
    if (len > this.buf.length) this.buf = Buffer.alloc(len);
    const want = Math.min(this.buf.length, this.length - pos);
    let got = 0;
    while (got < want) {
      const n = fs.readSync(this.fd, this.buf, got, want - got, this.base + pos + got);
      if (n === 0) break;
      got += n;
    }
    this.winStart = pos;
    this.winLen = got;
    if (got < len)
      throw new ImageFormatError(`squashfs image is truncated: ${what} at ${pos} could not be read`);
    return this.buf.subarray(0, len);
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
