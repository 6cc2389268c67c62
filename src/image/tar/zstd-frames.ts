// Walks zstd frame and block headers ahead of the decoder, so no frame can make it allocate or emit without bound.
import { ImageFormatError } from '../image-entry.js';

/**
 * The largest window read: 8 MiB, what zstd's levels 1 to 19 use at most (windowLog 23 in lib/compress/
 * clevels.h; --ultra levels 20-22 and --long go to 2^27). fzstd's cost grows with the window: a 37 KB frame
 * declaring 128 MiB took 53 s of CPU, about 100 times an 8 MiB one (issue 13), so larger windows are refused.
 */
export const ZSTD_MAX_WINDOW = 1 << 23;
const BLOCK_MAX = 128 * 1024; // Block_Maximum_Size, RFC 8878 section 3.1.1.2.3
/** Input is cut so one decoder push emits about this much at most (an RLE block is 4 bytes in, 128 KiB out). */
const PUSH_OUTPUT = 1024 * 1024;

type State = 'magic' | 'frame-header' | 'block-header' | 'block-body' | 'checksum' | 'skippable';

/** Feed it the compressed bytes in order; it throws on what the decoder must not see and says where to cut. */
export class ZstdFrameWalker {
  private state: State = 'magic';
  private head: number[] = [];
  private need = 4;
  private skip = 0;
  private window = 0;
  private checksum = false;
  private last = false;
  private frames = 0;
  private pos = 0;

  /** Splits a chunk into pieces after which the decoder's pending output stays near PUSH_OUTPUT. */
  split(chunk: Buffer): Buffer[] {
    const pieces: Buffer[] = [];
    let from = 0;
    let i = 0;
    let out = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        i += n;
        this.pos += n;
        this.skip -= n;
        if (this.skip === 0) this.afterSkip();
        continue;
      }
      this.head.push(chunk[i]!);
      i++;
      this.pos++;
      if (this.head.length < this.need) continue;
      out += this.onHeader();
      if (out >= PUSH_OUTPUT) {
        const cut = i + this.skipInChunk(chunk.length - i);
        pieces.push(chunk.subarray(from, cut));
        i = from = cut;
        out = 0;
      }
    }
    if (from < chunk.length) pieces.push(chunk.subarray(from));
    return pieces;
  }

  /** The block body just announced, as far as this chunk holds it, belongs to the same push. */
  private skipInChunk(left: number): number {
    const n = Math.min(this.skip, left);
    this.skip -= n;
    this.pos += n;
    if (this.skip === 0 && n > 0) this.afterSkip();
    return n;
  }

  private afterSkip(): void {
    if (this.state === 'block-body') this.endBlock();
    else this.toMagic(); // end of a checksum or a skippable frame
  }

  private toMagic(): void {
    this.state = 'magic';
    this.need = 4;
    this.head = [];
  }

  private endBlock(): void {
    this.head = [];
    if (!this.last) {
      this.state = 'block-header';
      this.need = 3;
    } else if (this.checksum) {
      this.state = 'checksum';
      this.skip = 4;
    } else this.toMagic();
  }

  /** A complete header is in this.head: check it, set what follows; returns the output it may produce. */
  private onHeader(): number {
    const h = this.head;
    switch (this.state) {
      case 'magic': {
        const m = (h[0]! | (h[1]! << 8) | (h[2]! << 16) | (h[3]! << 24)) >>> 0;
        if (m === 0xfd2fb528) {
          this.state = 'frame-header';
          this.need = 5;
          return 0;
        }
        if ((m & 0xfffffff0) === 0x184d2a50) {
          this.state = 'skippable';
          this.need = 8;
          return 0;
        }
        throw new ImageFormatError(`zstd: no frame at byte ${this.pos - 4}`);
      }
      case 'skippable':
        this.skip = (h[4]! | (h[5]! << 8) | (h[6]! << 16)) + h[7]! * 2 ** 24;
        this.head = [];
        if (this.skip === 0) this.toMagic();
        return 0;
      case 'frame-header': {
        // RFC 8878 3.1.1.1: descriptor, [window], [dictionary id], [content size].
        const d = h[4]!;
        const single = (d >> 5) & 1;
        const fcsFlag = d >> 6;
        const dictBytes = [0, 1, 2, 4][d & 3]!;
        const fcsBytes = [single, 2, 4, 8][fcsFlag]!;
        const total = 5 + (single ? 0 : 1) + dictBytes + fcsBytes;
        if (h.length < total) {
          this.need = total;
          return 0;
        }
        if (d & 0x08)
          throw new ImageFormatError(`zstd: reserved bit set in the frame at byte ${this.pos - total}`);
        let dict = 0;
        for (let k = 0; k < dictBytes; k++) dict += h[5 + (single ? 0 : 1) + k]! * 2 ** (8 * k);
        if (dict !== 0) throw new ImageFormatError('zstd: frames that need a dictionary are not supported');
        if (single) {
          let fcs = 0;
          const at = 5 + dictBytes;
          for (let k = 0; k < fcsBytes; k++) fcs += h[at + k]! * 2 ** (8 * k);
          this.window = fcsBytes === 2 ? fcs + 256 : fcs;
        } else {
          const exp = h[5]! >> 3;
          const base = 2 ** (10 + exp);
          this.window = base + (base / 8) * (h[5]! & 7);
        }
        if (this.window > ZSTD_MAX_WINDOW) {
          throw new ImageFormatError(
            `zstd: frame window of ${this.window} bytes exceeds the ${ZSTD_MAX_WINDOW >> 20} MiB ctrsafe reads (zstd --long and --ultra archives cost up to 100 times as much to decode: recompress at level 19 or lower)`,
          );
        }
        this.checksum = ((d >> 2) & 1) === 1;
        this.frames++;
        this.state = 'block-header';
        this.need = 3;
        this.head = [];
        return 0;
      }
      case 'block-header': {
        const v = h[0]! | (h[1]! << 8) | (h[2]! << 16);
        this.last = (v & 1) === 1;
        const type = (v >> 1) & 3;
        const size = v >>> 3;
        if (type === 3) throw new ImageFormatError(`zstd: reserved block type at byte ${this.pos - 3}`);
        if (size > Math.min(BLOCK_MAX, Math.max(this.window, 1))) {
          throw new ImageFormatError(
            `zstd: block of ${size} bytes exceeds the frame's limit at byte ${this.pos - 3}`,
          );
        }
        this.state = 'block-body';
        this.head = [];
        this.skip = type === 1 ? 1 : size;
        if (this.skip === 0) this.endBlock();
        return type === 2 ? BLOCK_MAX : size;
      }
      default:
        throw new Error(`zstd walker in state ${this.state} with a header`);
    }
  }

  /** At the end of input: anything but a finished frame is a truncated stream. */
  finish(): void {
    if (this.frames === 0 || this.state !== 'magic' || this.head.length !== 0 || this.skip !== 0) {
      throw new ImageFormatError(`zstd: stream ends inside a frame at byte ${this.pos}`);
    }
  }
}
