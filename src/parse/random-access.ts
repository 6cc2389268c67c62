// Positioned reads of one file, bounded: what the package database readers take instead of a whole file.
import * as fs from 'node:fs';

export interface RandomAccess {
  size: number;
  /** Exactly `length` bytes at `offset`, or a thrown DatabaseFormatError when the file is shorter. */
  read(offset: number, length: number): Buffer;
}

/** A malformed or hostile database: the readers throw it, their callers turn it into "could not read". */
export class DatabaseFormatError extends Error {}

export function bufferAccess(data: Buffer): RandomAccess {
  return {
    size: data.length,
    read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > data.length)
        throw new DatabaseFormatError(
          `read of ${length} bytes at ${offset} runs past the end (${data.length} bytes)`,
        );
      return data.subarray(offset, offset + length);
    },
  };
}

/**
 * An open descriptor read with pread(2), counting every byte: a reader that follows a hostile file's
 * pointers around in circles stops at `maxBytes` read in total.
 */
export function fdAccess(fd: number, size: number, maxBytes: number): RandomAccess {
  let total = 0;
  return {
    size,
    read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > size)
        throw new DatabaseFormatError(
          `read of ${length} bytes at ${offset} runs past the end (${size} bytes)`,
        );
      total += length;
      if (total > maxBytes) throw new DatabaseFormatError(`more than ${maxBytes} bytes read`);
      const buf = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const n = fs.readSync(fd, buf, got, length - got, offset + got);
        if (n === 0) throw new DatabaseFormatError(`the file ended at ${offset + got} while being read`);
        got += n;
      }
      return buf;
    },
  };
}
