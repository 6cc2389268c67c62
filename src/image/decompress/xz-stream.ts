// Streaming .xz decoder (xz-file-format-1.2.1.txt: stream header/footer, blocks, index, padding; LZMA2 filter),
// with output bounded per call and in total, for squashfs xz blocks and for .tar.xz layers.
//
// Each push() returns what its chunk decodes to: LZMA2 cannot expand more than about 7000:1 (a 2 MiB chunk of one
// repeated byte still costs about 300 bytes), so slicing the input bounds every call, and maxOutput bounds the
// total. With maxOutputPerCall set, a call stops at that much output and `pending` says more is ready: then
// `while (dec.pending) dec.drain()`, or use `for (const b of dec.decode(chunk /* null at the end */))`.
import { createHash, type Hash } from 'node:crypto';
import { ImageFormatError } from '../image-entry.js';
import { ByteQueue } from './byte-queue.js';
import { Crc64, crc32 } from './crc.js';
import { Lzma2Decoder } from './lzma2-decoder.js';

const HEADER_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
/** Check field size per check id (§2.1.1.2: 0, then 4, 8, 16, 32, 64 bytes in groups of three). */
const CHECK_SIZE = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];
const CHECK_CRC32 = 1;
const CHECK_CRC64 = 4;
const CHECK_SHA256 = 10;
const FILTER_LZMA2 = 0x21;
const FILTER_NAMES: Record<number, string> = {
  0x03: 'delta',
  0x04: 'x86 BCJ',
  0x05: 'PowerPC BCJ',
  0x06: 'IA-64 BCJ',
  0x07: 'ARM BCJ',
  0x08: 'ARM-Thumb BCJ',
  0x09: 'SPARC BCJ',
  0x0a: 'ARM64 BCJ',
  0x0b: 'RISC-V BCJ',
};

export interface XzDecoderOptions {
  /** Output bytes in total at most; more ends the stream with an ImageFormatError. */
  maxOutput?: number;
  /**
   * Output bytes per push/drain/end call, give or take one LZMA2 chunk (2 MiB); unlimited by default, so a
   * caller that never looks at `pending` loses nothing.
   */
  maxOutputPerCall?: number;
  /** Largest LZMA2 dictionary accepted (memory grows with the output up to it, never beyond). */
  maxDictBytes?: number;
}

type Phase = 'header' | 'block' | 'data' | 'padding' | 'check' | 'index' | 'footer' | 'streamPadding';

export class XzStreamDecoder {
  private readonly q = new ByteQueue();
  private readonly maxOutput: number;
  private readonly perCall: number;
  private readonly maxDict: number;
  private phase: Phase = 'header';
  private ended = false;
  private more = false;
  private out: Buffer[] = [];
  private total = 0;

  private flags = Buffer.alloc(2);
  private checkType = 0;
  private lzma2: Lzma2Decoder | null = null;
  private dictSize = 0;
  // The current block.
  private headerSize = 0;
  private declaredPacked = -1;
  private declaredUnpacked = -1;
  private dataStart = 0;
  private packed = 0;
  private unpacked = 0;
  private crc32 = 0;
  private crc64: Crc64 | null = null;
  private sha: Hash | null = null;
  // What the index must repeat.
  private blocks = 0;
  private sumUnpadded = 0;
  private sumUnpacked = 0;
  private indexStep: 'indicator' | 'count' | 'records' | 'padding' | 'crc' = 'indicator';
  private indexLeft = 0;
  private indexSize = 0;
  private indexCrc = 0;
  private indexUnpadded = 0;
  private indexUnpacked = 0;

  constructor(opts: XzDecoderOptions = {}) {
    this.maxOutput = opts.maxOutput ?? Number.MAX_SAFE_INTEGER;
    this.perCall = opts.maxOutputPerCall ?? Number.MAX_SAFE_INTEGER;
    // 64 MiB: xz's largest preset (-9, -9e; xz(1) "Presets"); a larger dictionary is only a cost.
    this.maxDict = opts.maxDictBytes ?? 64 * 1024 * 1024;
  }

  /** More output is ready from input already pushed: call drain() (or end() again after end()). */
  get pending(): boolean {
    return this.more;
  }

  push(chunk: Buffer): Buffer[] {
    if (this.ended) throw new Error('XzStreamDecoder.push after end()');
    this.q.push(chunk);
    return this.step();
  }

  drain(): Buffer[] {
    return this.step();
  }

  /** No more input: returns the remaining output (call again while pending) and checks the stream ended. */
  end(): Buffer[] {
    this.ended = true;
    return this.step();
  }

  /** All output for one chunk (null: end of input), in pieces of at most about maxOutputPerCall. */
  *decode(chunk: Buffer | null): Generator<Buffer> {
    yield* chunk === null ? this.end() : this.push(chunk);
    while (this.more) yield* this.drain();
  }

  private step(): Buffer[] {
    this.out = [];
    const before = this.total;
    const r = this.run(() => this.total - before);
    this.more = r === 'budget';
    if (r === 'input' && this.ended) this.finish();
    return this.out;
  }

  private finish(): void {
    const q = this.q;
    if (this.phase === 'streamPadding' && q.size === 0) return;
    if (this.phase === 'streamPadding')
      throw new ImageFormatError('xz: stream padding is not a multiple of 4 bytes');
    throw new ImageFormatError(
      this.phase === 'header' && this.blocks === 0 && q.size === 0
        ? 'xz: empty input'
        : 'xz: stream is truncated',
    );
  }

  private emit = (b: Buffer): void => {
    this.total += b.length;
    if (this.total > this.maxOutput)
      throw new ImageFormatError(`xz: output exceeds the ${this.maxOutput}-byte limit`);
    this.unpacked += b.length;
    if (this.checkType === CHECK_CRC32) this.crc32 = crc32(b, 0, b.length, this.crc32);
    else if (this.crc64) this.crc64.update(b);
    else if (this.sha) this.sha.update(b);
    this.out.push(b);
  };

  private run(producedThisCall: () => number): 'input' | 'budget' {
    const q = this.q;
    for (;;) {
      switch (this.phase) {
        case 'header': {
          if (!q.ensure(12)) return 'input';
          const h = q.head.subarray(q.pos, q.pos + 12);
          if (!h.subarray(0, 6).equals(HEADER_MAGIC))
            throw new ImageFormatError('xz: not an xz stream (bad magic)');
          if (h[6] !== 0 || (h[7]! & 0xf0) !== 0) throw new ImageFormatError('xz: unsupported stream flags');
          if (crc32(h, 6, 8) !== h.readUInt32LE(8))
            throw new ImageFormatError('xz: stream header CRC mismatch');
          this.flags = Buffer.from(h.subarray(6, 8));
          this.checkType = h[7]!;
          this.blocks = this.sumUnpadded = this.sumUnpacked = 0;
          q.skip(12);
          this.phase = 'block';
          break;
        }
        case 'block': {
          if (!q.ensure(1)) return 'input';
          const first = q.head[q.pos]!;
          if (first === 0) {
            this.phase = 'index';
            this.indexStep = 'indicator';
            break;
          }
          const size = (first + 1) * 4;
          if (!q.ensure(size)) return 'input';
          this.blockHeader(q.head.subarray(q.pos, q.pos + size));
          q.skip(size);
          this.headerSize = size;
          this.dataStart = q.consumedBytes;
          this.unpacked = 0;
          this.crc32 = 0;
          this.crc64 = this.checkType === CHECK_CRC64 ? new Crc64() : null;
          this.sha = this.checkType === CHECK_SHA256 ? createHash('sha256') : null;
          this.phase = 'data';
          break;
        }
        case 'data': {
          const budget = this.perCall - producedThisCall();
          const r = this.lzma2!.run(q, this.emit, budget);
          if (r !== 'end') return r;
          this.packed = q.consumedBytes - this.dataStart;
          if (this.declaredPacked >= 0 && this.declaredPacked !== this.packed) {
            throw new ImageFormatError('xz: block compressed size does not match its header');
          }
          if (this.declaredUnpacked >= 0 && this.declaredUnpacked !== this.unpacked) {
            throw new ImageFormatError('xz: block uncompressed size does not match its header');
          }
          this.phase = 'padding';
          break;
        }
        case 'padding': {
          const pad = (4 - (this.packed % 4)) % 4;
          if (!q.ensure(pad)) return 'input';
          for (let i = 0; i < pad; i++) {
            if (q.head[q.pos + i] !== 0) throw new ImageFormatError('xz: non-zero block padding');
          }
          q.skip(pad);
          this.phase = 'check';
          break;
        }
        case 'check': {
          const n = CHECK_SIZE[this.checkType]!;
          if (!q.ensure(n)) return 'input';
          const stored = q.head.subarray(q.pos, q.pos + n);
          let ok = true;
          if (this.checkType === CHECK_CRC32) ok = stored.readUInt32LE(0) === this.crc32;
          else if (this.crc64) ok = stored.equals(this.crc64.digest());
          else if (this.sha) ok = stored.equals(this.sha.digest());
          // Other check ids are reserved: like xz, skip what cannot be verified.
          if (!ok) throw new ImageFormatError('xz: block check mismatch (corrupt data)');
          q.skip(n);
          this.blocks++;
          this.sumUnpadded += this.headerSize + this.packed + n;
          this.sumUnpacked += this.unpacked;
          this.phase = 'block';
          break;
        }
        case 'index':
          if (!this.index()) return 'input';
          this.phase = 'footer';
          break;
        case 'footer': {
          if (!q.ensure(12)) return 'input';
          const f = q.head.subarray(q.pos, q.pos + 12);
          if (crc32(f, 4, 10) !== f.readUInt32LE(0))
            throw new ImageFormatError('xz: stream footer CRC mismatch');
          if ((f.readUInt32LE(4) + 1) * 4 !== this.indexSize)
            throw new ImageFormatError('xz: index size mismatch');
          if (!f.subarray(8, 10).equals(this.flags) || f[10] !== 0x59 || f[11] !== 0x5a) {
            throw new ImageFormatError('xz: corrupt stream footer');
          }
          q.skip(12);
          this.phase = 'streamPadding';
          break;
        }
        case 'streamPadding': {
          if (!q.ensure(1)) return 'input';
          if (q.head[q.pos] === 0xfd) {
            this.phase = 'header';
            break;
          }
          if (!q.ensure(4)) return 'input';
          if (q.head.readUInt32LE(q.pos) !== 0) throw new ImageFormatError('xz: garbage after the stream');
          q.skip(4);
          break;
        }
      }
    }
  }

  private blockHeader(h: Buffer): void {
    const n = h.length;
    if (crc32(h, 0, n - 4) !== h.readUInt32LE(n - 4))
      throw new ImageFormatError('xz: block header CRC mismatch');
    const flags = h[1]!;
    if (flags & 0x3c) throw new ImageFormatError('xz: unsupported block header flags');
    const at = { p: 2, end: n - 4 };
    this.declaredPacked = flags & 0x40 ? vli(h, at) : -1;
    this.declaredUnpacked = flags & 0x80 ? vli(h, at) : -1;
    if (this.declaredPacked === 0) throw new ImageFormatError('xz: block compressed size of 0');
    const filters = (flags & 3) + 1;
    let props = -1;
    for (let i = 0; i < filters; i++) {
      const id = vli(h, at);
      const size = vli(h, at);
      if (at.p + size > at.end) throw new ImageFormatError('xz: block header filter properties overrun');
      if (id !== FILTER_LZMA2) {
        const name = FILTER_NAMES[id] ?? `0x${id.toString(16)}`;
        throw new ImageFormatError(`xz: filter ${name} is not supported (only LZMA2)`);
      }
      if (i !== filters - 1 || size !== 1)
        throw new ImageFormatError('xz: LZMA2 must be the last filter, with 1 property byte');
      props = h[at.p]!;
      at.p += size;
    }
    for (let i = at.p; i < at.end; i++)
      if (h[i] !== 0) throw new ImageFormatError('xz: non-zero block header padding');
    if (props > 40) throw new ImageFormatError('xz: invalid LZMA2 dictionary size');
    const dict = props === 40 ? 0xffffffff : (2 | (props & 1)) * 2 ** ((props >> 1) + 11);
    if (dict > this.maxDict) {
      throw new ImageFormatError(
        `xz: dictionary of ${dict} bytes exceeds the ${this.maxDict >> 20} MiB ctrsafe reads (xz's largest preset, -9, uses 64 MiB: recompress with a preset)`,
      );
    }
    if (!this.lzma2 || this.dictSize !== dict) {
      // A one-shot caller's small maxOutput keeps the first window small too.
      this.lzma2 = new Lzma2Decoder(dict, Math.min(64 * 1024, this.maxOutput + 1));
      this.dictSize = dict;
    } else {
      this.lzma2.restart();
    }
  }

  /** Parses the index incrementally; true when complete and consistent with the blocks seen. */
  private index(): boolean {
    const q = this.q;
    for (;;) {
      switch (this.indexStep) {
        case 'indicator':
          if (!q.ensure(1)) return false;
          this.indexCrc = crc32(q.head, q.pos, q.pos + 1);
          this.indexSize = 1;
          this.indexUnpadded = this.indexUnpacked = 0;
          q.skip(1);
          this.indexStep = 'count';
          break;
        case 'count': {
          const v = queuedVli(q, 0);
          if (!v) return false;
          if (v.value !== this.blocks)
            throw new ImageFormatError('xz: index record count does not match the blocks');
          this.take(v.len);
          this.indexLeft = v.value;
          this.indexStep = 'records';
          break;
        }
        case 'records': {
          while (this.indexLeft > 0) {
            const a = queuedVli(q, 0);
            const b = a && queuedVli(q, a.len);
            if (!a || !b) return false;
            this.indexUnpadded += a.value;
            this.indexUnpacked += b.value;
            this.take(a.len + b.len);
            this.indexLeft--;
          }
          if (this.indexUnpadded !== this.sumUnpadded || this.indexUnpacked !== this.sumUnpacked) {
            throw new ImageFormatError('xz: index does not match the blocks');
          }
          this.indexStep = 'padding';
          break;
        }
        case 'padding': {
          const pad = (4 - (this.indexSize % 4)) % 4;
          if (!q.ensure(pad)) return false;
          for (let i = 0; i < pad; i++)
            if (q.head[q.pos + i] !== 0) throw new ImageFormatError('xz: non-zero index padding');
          this.take(pad);
          this.indexStep = 'crc';
          break;
        }
        case 'crc':
          if (!q.ensure(4)) return false;
          if (q.head.readUInt32LE(q.pos) !== this.indexCrc)
            throw new ImageFormatError('xz: index CRC mismatch');
          q.skip(4);
          this.indexSize += 4;
          return true;
      }
    }
  }

  /** Consumes n index bytes into the index CRC and size. */
  private take(n: number): void {
    this.indexCrc = crc32(this.q.head, this.q.pos, this.q.pos + n, this.indexCrc);
    this.indexSize += n;
    this.q.skip(n);
  }
}

/** Reads a multibyte integer (§1.2) inside a block header, advancing `at.p`. */
function vli(h: Buffer, at: { p: number; end: number }): number {
  let v = 0;
  for (let i = 0; i < 9; i++) {
    if (at.p >= at.end) throw new ImageFormatError('xz: block header is truncated');
    const b = h[at.p++]!;
    v += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (b === 0 && i > 0) throw new ImageFormatError('xz: non-minimal integer encoding');
      if (v > Number.MAX_SAFE_INTEGER) throw new ImageFormatError('xz: integer too large');
      return v;
    }
  }
  throw new ImageFormatError('xz: integer longer than 9 bytes');
}

/** A multibyte integer `off` bytes into the queue, or null when not all of it is queued yet. */
function queuedVli(q: ByteQueue, off: number): { value: number; len: number } | null {
  let v = 0;
  for (let i = 0; i < 9; i++) {
    if (!q.ensure(off + i + 1)) return null;
    const b = q.head[q.pos + off + i]!;
    v += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (b === 0 && i > 0) throw new ImageFormatError('xz: non-minimal integer encoding');
      if (v > Number.MAX_SAFE_INTEGER) throw new ImageFormatError('xz: integer too large');
      return { value: v, len: i + 1 };
    }
  }
  throw new ImageFormatError('xz: integer longer than 9 bytes');
}

/** One-shot: a whole .xz input (squashfs stores one stream per block) to at most maxOutput bytes. */
export function decompressXz(input: Buffer, maxOutput: number): Buffer {
  const dec = new XzStreamDecoder({ maxOutput });
  const parts = [...dec.push(input), ...dec.end()];
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
