// Zstandard frames through fzstd's streaming decoder, with the frame header checked first (RFC 8878 §3.1.1.1):
// fzstd allocates the declared window (up to 2 GiB) before decoding a byte, so a hostile header must be refused.
import { Decompress } from 'fzstd';
import { ImageFormatError } from '../image-entry.js';

const MAGIC = 0xfd2fb528;

/** Window bytes the frame at `at` declares, or -1 for a skippable frame. */
function windowSize(input: Buffer, at: number): number {
  if (input.length - at < 6) throw new ImageFormatError('zstd: data is truncated');
  const magic = input.readUInt32LE(at);
  if ((magic & 0xfffffff0) === 0x184d2a50) return -1;
  if (magic !== MAGIC) throw new ImageFormatError('zstd: not a zstd frame (bad magic)');
  const fhd = input[at + 4]!;
  if (fhd & 0x08) throw new ImageFormatError('zstd: reserved frame header bit set');
  const singleSegment = (fhd >> 5) & 1;
  const fcsFlag = fhd >> 6;
  if (!singleSegment) {
    const wd = input[at + 5]!;
    const base = 2 ** (10 + (wd >> 3));
    return base + (base / 8) * (wd & 7);
  }
  // Single segment: the window is the frame content size, stored right after the dictionary id.
  const dictBytes = [0, 1, 2, 4][fhd & 3]!;
  const fcsBytes = [1, 2, 4, 8][fcsFlag]!;
  const p = at + 5 + dictBytes;
  if (input.length < p + fcsBytes) throw new ImageFormatError('zstd: data is truncated');
  let v = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) v = v * 256 + input[p + i]!;
  return fcsBytes === 2 ? v + 256 : v;
}

export function decompressZstd(
  input: Buffer,
  maxOutput: number,
  maxWindow = Math.max(maxOutput, 8 << 20),
): Buffer {
  // Only the first frame's header is checked here; squashfs writes exactly one frame per block.
  const ws = windowSize(input, 0);
  if (ws > maxWindow)
    throw new ImageFormatError(`zstd: window of ${ws} bytes exceeds the ${maxWindow}-byte limit`);
  const parts: Uint8Array[] = [];
  let total = 0;
  let done = false;
  const d = new Decompress((chunk, final) => {
    total += chunk.length;
    if (total > maxOutput) throw new ImageFormatError(`zstd: output exceeds the ${maxOutput}-byte limit`);
    if (chunk.length) parts.push(chunk);
    if (final) done = true;
  });
  d.push(input, true);
  // fzstd signals the end of the last frame with final=true; anything else throws or leaves `done` unset.
  if (!done) throw new ImageFormatError('zstd: data is truncated');
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
