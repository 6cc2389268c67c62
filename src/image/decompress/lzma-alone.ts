// Squashfs's legacy "lzma" compressor: each block is an LZMA-alone stream (13-byte header, then LZMA1 data).
// squashfs-tools lzma_xz_wrapper.c writes the header with liblzma's alone encoder (which ends the data with an
// end-of-payload marker) and then patches the real uncompressed size into bytes 5..12.
import { ImageFormatError } from '../image-entry.js';
import { LzWindow } from './lz-window.js';
import { LzmaDecoder, decodeProps } from './lzma-decoder.js';

const HEADER = 13;

export function decompressLzmaAlone(input: Buffer, maxOutput: number): Buffer {
  if (input.length < HEADER + 5) throw new ImageFormatError('lzma: data is truncated');
  const props = decodeProps(input[0]!);
  const lo = input.readUInt32LE(5);
  const hi = input.readUInt32LE(9);
  const known = !(lo === 0xffffffff && hi === 0xffffffff);
  const size = hi * 2 ** 32 + lo;
  if (known && size > maxOutput) {
    throw new ImageFormatError(`lzma: declared size ${size} exceeds the ${maxOutput}-byte limit`);
  }
  // The whole output is the window (no wrap), so the header's dictionary size never sizes an allocation.
  // Unknown size: one byte of slack tells "ends exactly at the limit" from "runs past it".
  const limit = known ? size : maxOutput + 1;
  const win = new LzWindow(Math.max(1, limit), limit);
  const dec = new LzmaDecoder();
  dec.setProps(props);
  dec.resetState();
  dec.initRangeDecoder(input, HEADER, input.length);
  const ended = dec.decode(win, limit);
  if (known) {
    if (win.pos < size) throw new ImageFormatError('lzma: end marker before the declared size');
    if (dec.pendingLen > 0) throw new ImageFormatError('lzma: a match runs past the declared size');
  } else if (!ended) {
    throw new ImageFormatError(`lzma: output exceeds the ${maxOutput}-byte limit`);
  } else if (!dec.rangeDecoderFinished()) {
    throw new ImageFormatError('lzma: data is truncated or corrupt at the end marker');
  }
  return Buffer.from(win.buf.buffer, win.buf.byteOffset, win.pos);
}
