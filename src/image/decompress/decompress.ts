// One entry point for the squashfs compressors: every decoder bounds its output and reports bad input as ImageFormatError.
import * as zlib from 'node:zlib';
import { ImageFormatError } from '../image-entry.js';
import { decompressLz4Block } from './lz4.js';
import { decompressLzmaAlone } from './lzma-alone.js';
import { decompressLzo } from './lzo.js';
import { decompressXz } from './xz-stream.js';
import { decompressZstd } from './zstd.js';

export type Compressor = 'gzip' | 'xz' | 'lzma' | 'lzo' | 'lz4' | 'zstd';

function inflate(input: Buffer, maxOutput: number): Buffer {
  // Squashfs "gzip" is a zlib stream (RFC 1950), not gzip: squashfs-tools gzip_wrapper.c uses deflate().
  try {
    return zlib.inflateSync(input, { maxOutputLength: Math.max(1, maxOutput) });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE')
      throw new ImageFormatError(`gzip: output exceeds the ${maxOutput}-byte limit`);
    throw new ImageFormatError(`gzip: ${(e as Error).message}`);
  }
}

/**
 * Decompresses one squashfs block (or any whole input in that compressor's block format) to at most
 * `maxOutput` bytes. Malformed input, truncation and output past the limit all throw ImageFormatError.
 */
export function decompress(compressor: Compressor, input: Buffer, maxOutput: number): Buffer {
  try {
    switch (compressor) {
      case 'gzip':
        return inflate(input, maxOutput);
      case 'xz':
        return decompressXz(input, maxOutput);
      case 'lzma':
        return decompressLzmaAlone(input, maxOutput);
      case 'lzo':
        return decompressLzo(input, maxOutput);
      case 'lz4':
        return decompressLz4Block(input, maxOutput);
      case 'zstd':
        return decompressZstd(input, maxOutput);
      default:
        throw new ImageFormatError(`unknown compressor ${String(compressor)}`);
    }
  } catch (e) {
    if (e instanceof ImageFormatError) throw e;
    // A decoder bug or a library's own error type must still reach the audit as one bad image, not a crash.
    throw new ImageFormatError(`${compressor}: corrupt data (${(e as Error).message ?? String(e)})`);
  }
}
