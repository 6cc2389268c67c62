// LZMA2 chunks (xz-file-format §5.3.1 filter 0x21; chunk layout as in xz-embedded's xz_dec_lzma2.c notes):
// LZMA chunks with a reset level and sizes, stored chunks, and the 0x00 end byte.
import { ImageFormatError } from '../image-entry.js';
import type { ByteQueue } from './byte-queue.js';
import { LzWindow } from './lz-window.js';
import { LzmaDecoder, decodeProps } from './lzma-decoder.js';

export type RunResult = 'end' | 'input' | 'budget';

export class Lzma2Decoder {
  private readonly lzma = new LzmaDecoder();
  readonly win: LzWindow;
  private needDictReset = true;
  private needProps = true;

  constructor(dictSize: number, initialWindow?: number) {
    this.win = new LzWindow(Math.max(4096, dictSize), initialWindow);
  }

  /** Ready for a new xz block: the first chunk must reset the dictionary again. */
  restart(): void {
    this.needDictReset = true;
    this.needProps = true;
  }

  /**
   * Decodes whole chunks from q, handing every flushed piece of output to `emit`. Returns 'end' after the
   * end byte, 'input' when the next chunk is not fully queued yet, 'budget' once `budget` bytes were
   * produced (checked between chunks, so one call can overshoot by one chunk: at most 2 MiB).
   */
  run(q: ByteQueue, emit: (b: Buffer) => void, budget: number): RunResult {
    let produced = 0;
    const win = this.win;
    const flush = () => {
      const b = win.flush();
      if (b) emit(b);
    };
    for (;;) {
      if (produced >= budget) return 'budget';
      if (!q.ensure(1)) return 'input';
      const c = q.head[q.pos]!;
      if (c === 0x00) {
        q.skip(1);
        return 'end';
      }
      if (c === 0x01 || c === 0x02) {
        if (!q.ensure(3)) return 'input';
        const n = ((q.head[q.pos + 1]! << 8) | q.head[q.pos + 2]!) + 1;
        if (!q.ensure(3 + n)) return 'input';
        if (c === 0x01) this.dictReset();
        else if (this.needDictReset)
          throw new ImageFormatError('lzma2: first chunk does not reset the dictionary');
        let at = q.pos + 3;
        let left = n;
        while (left > 0) {
          const k = Math.min(win.room(), left);
          win.write(q.head, at, k);
          at += k;
          left -= k;
          flush();
        }
        q.skip(3 + n);
        produced += n;
        continue;
      }
      if (c < 0x80) throw new ImageFormatError(`lzma2: invalid chunk control byte 0x${c.toString(16)}`);
      const hdr = c >= 0xc0 ? 6 : 5;
      if (!q.ensure(hdr)) return 'input';
      let h = q.head;
      let p = q.pos;
      const unpacked = (c & 0x1f) * 65536 + ((h[p + 1]! << 8) | h[p + 2]!) + 1;
      const packed = ((h[p + 3]! << 8) | h[p + 4]!) + 1;
      if (!q.ensure(hdr + packed)) return 'input';
      h = q.head;
      p = q.pos;
      if (c >= 0xe0) this.dictReset();
      else if (this.needDictReset)
        throw new ImageFormatError('lzma2: first chunk does not reset the dictionary');
      if (c >= 0xc0) {
        this.lzma.setProps(decodeProps(h[p + 5]!));
        this.needProps = false;
        this.lzma.resetState();
      } else if (this.needProps) {
        throw new ImageFormatError('lzma2: chunk without properties after a dictionary reset');
      } else if (c >= 0xa0) {
        this.lzma.resetState();
      }
      const end = p + hdr + packed;
      this.lzma.initRangeDecoder(h, p + hdr, end);
      let left = unpacked;
      while (left > 0) {
        const room = win.room();
        const before = win.pos;
        if (this.lzma.decode(win, before + Math.min(room, left))) {
          throw new ImageFormatError('lzma2: end marker inside a chunk');
        }
        left -= win.pos - before;
        flush();
      }
      if (this.lzma.pendingLen !== 0 || !this.lzma.rangeDecoderFinished() || this.lzma.inPos !== end) {
        throw new ImageFormatError('lzma2: chunk data does not match its sizes');
      }
      q.skip(hdr + packed);
      produced += unpacked;
    }
  }

  private dictReset(): void {
    this.win.reset();
    this.needDictReset = false;
    this.needProps = true;
  }
}
