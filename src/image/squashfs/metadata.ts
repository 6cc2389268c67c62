// Squashfs metadata blocks (a u16 header: size, bit 15 = stored uncompressed; at most 8 KiB decoded) decoded once
// into a bounded LRU cache, and cursors that read a table as one byte stream across block boundaries.
import { decompress, type Compressor } from '../decompress/decompress.js';
import { ImageFormatError, type ReadLimits } from '../image-entry.js';
import type { ImageFile } from './image-file.js';
import { METADATA_SIZE } from './superblock.js';

/** 1024 decoded blocks = 8 MiB: the inode and directory tables of ~100,000 entries (~80 bytes each) stay cached. */
const CACHE_BLOCKS = 1024;
const STORED_BIT = 0x8000;

/** Little-endian reads without Buffer's argument checks: the cursor has already bounded every offset. */
export const u16 = (b: Buffer, at: number): number => b[at]! | (b[at + 1]! << 8);
export const u32 = (b: Buffer, at: number): number =>
  (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

type Utf8Slicer = { utf8Slice(start: number, end: number): string };
/**
 * Names as UTF-8. Buffer's own utf8Slice (what toString('utf8') ends in, present on every Node release) skips
 * toString's encoding dispatch: 50,000 short names decode in a third of the time.
 */
export const utf8 =
  typeof (Buffer.prototype as unknown as Partial<Utf8Slicer>).utf8Slice === 'function'
    ? (b: Buffer, start: number, end: number): string => (b as unknown as Utf8Slicer).utf8Slice(start, end)
    : (b: Buffer, start: number, end: number): string => b.toString('utf8', start, end);

export interface MetaBlock {
  data: Buffer;
  /** Image position of the block after this one. */
  next: number;
}

export class MetadataReader {
  private readonly cache = new Map<number, MetaBlock>();
  private lastPos = -1;
  private last: MetaBlock | null = null;
  private decoded = 0;

  constructor(
    private readonly img: ImageFile,
    private readonly compressor: Compressor,
    private readonly limits: ReadLimits,
    private readonly deadlineAt: number,
  ) {}

  /** The block starting at image position `pos`, which must end at or before `end` (its table's end). */
  block(pos: number, end: number, what: string): MetaBlock {
    if (pos === this.lastPos) return this.last!;
    let b = this.cache.get(pos);
    if (b) {
      // Refresh its place in the Map's insertion order: least recently used blocks go first.
      this.cache.delete(pos);
      this.cache.set(pos, b);
    } else {
      b = this.load(pos, end, what);
      this.cache.set(pos, b);
      if (this.cache.size > CACHE_BLOCKS) this.cache.delete(this.cache.keys().next().value!);
    }
    this.lastPos = pos;
    this.last = b;
    return b;
  }

  private load(pos: number, end: number, what: string): MetaBlock {
    if (pos + 2 > end)
      throw new ImageFormatError(`squashfs ${what}: metadata block at ${pos} is past the end of the table`);
    const header = this.img.read(pos, 2, what).readUInt16LE(0);
    const size = header & ~STORED_BIT;
    if (size === 0 || size > METADATA_SIZE) {
      throw new ImageFormatError(`squashfs ${what}: invalid metadata block size ${size} at ${pos}`);
    }
    if (pos + 2 + size > end)
      throw new ImageFormatError(`squashfs ${what}: metadata block at ${pos} runs past the end of the table`);
    const raw = this.img.read(pos + 2, size, what);
    let data: Buffer;
    if (header & STORED_BIT) {
      data = Buffer.from(raw); // raw is a view of the file window, reused by the next read
    } else {
      try {
        data = decompress(this.compressor, raw, METADATA_SIZE);
      } catch (e) {
        throw new ImageFormatError(`squashfs ${what}: metadata block at ${pos}: ${(e as Error).message}`);
      }
      if (data.length === 0) throw new ImageFormatError(`squashfs ${what}: empty metadata block at ${pos}`);
    }
    this.decoded += data.length;
    if (this.decoded > this.limits.maxMetadataBytes) {
      throw new ImageFormatError(
        `squashfs metadata exceeds the limit of ${this.limits.maxMetadataBytes} bytes`,
      );
    }
    if (Date.now() > this.deadlineAt) {
      throw new ImageFormatError(`squashfs image took longer than ${this.limits.deadlineMs} ms to read`);
    }
    return { data, next: pos + 2 + size };
  }
}

/** Reads one table (image range [start, end)) as a stream, positioned by (block offset, offset in block). */
export class MetaCursor {
  /** The buffer holding the bytes of the last take(). */
  buf: Buffer = Buffer.alloc(0);
  private data: Buffer = Buffer.alloc(0);
  /** Image position of the block in `data`. */
  private pos = -1;
  private off = 0;
  private next = 0;
  private scratch: Buffer | null = null;

  constructor(
    private readonly reader: MetadataReader,
    readonly start: number,
    readonly end: number,
    private readonly what: string,
  ) {}

  /** Positions at `offset` bytes into the decoded block `block` bytes from the table start. */
  seek(block: number, offset: number): void {
    const pos = this.start + block;
    // Consecutive inodes mostly share a block: skip the cache lookup then (the walk seeks once per entry).
    if (pos !== this.pos) {
      if (pos >= this.end) {
        throw new ImageFormatError(`squashfs ${this.what}: reference to block ${block} is outside the table`);
      }
      const b = this.reader.block(pos, this.end, this.what);
      this.pos = pos;
      this.data = b.data;
      this.next = b.next;
    }
    if (offset > this.data.length) {
      throw new ImageFormatError(
        `squashfs ${this.what}: offset ${offset} is past the ${this.data.length}-byte metadata block`,
      );
    }
    this.off = offset;
  }

  /** Makes `n` bytes readable at this.buf[returned offset...] and moves past them. */
  take(n: number): number {
    if (this.off + n <= this.data.length) {
      this.buf = this.data;
      const at = this.off;
      this.off += n;
      return at;
    }
    // Straddles blocks: gather into scratch (entries may cross block boundaries; squashfs-tools-ng format.adoc).
    if (!this.scratch || this.scratch.length < n) this.scratch = Buffer.alloc(Math.max(n, 512));
    let got = 0;
    while (got < n) {
      if (this.off === this.data.length) this.advance();
      const k = Math.min(n - got, this.data.length - this.off);
      this.data.copy(this.scratch, got, this.off, this.off + k);
      got += k;
      this.off += k;
    }
    this.buf = this.scratch;
    return 0;
  }

  private advance(): void {
    if (this.next >= this.end)
      throw new ImageFormatError(`squashfs ${this.what}: data runs past the end of the table`);
    const b = this.reader.block(this.next, this.end, this.what);
    this.pos = this.next;
    this.data = b.data;
    this.off = 0;
    this.next = b.next;
  }
}
