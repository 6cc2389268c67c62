// The xattr table (squashfs_fs.h struct squashfs_xattr_id_table; squashfs-tools read_xattrs.c): per-inode
// xattr ids → {ref, count, size}, and key/value records with user./trusted./security. prefixes and values
// stored out of line (a u64 reference to a value shared by several files).
import { ImageFormatError, type ReadLimits } from '../image-entry.js';
import type { ImageFile } from './image-file.js';
import { MetaCursor, type MetadataReader } from './metadata.js';
import { METADATA_SIZE, type Superblock } from './superblock.js';

const PREFIXES = ['user.', 'trusted.', 'security.'];
const VALUE_OOL = 0x0100;
const ID_ENTRY = 16;
/** More xattrs on one file than any Linux file system can hold (the listxattr buffer is 64 KiB). */
const MAX_XATTRS_PER_FILE = 4096;
/** Decoded xattr sets kept: files with the same xattrs share one id (mksquashfs deduplicates them). */
const CACHE_IDS = 4096;

export class XattrTable {
  private readonly cache = new Map<number, Record<string, Buffer>>();
  private readonly kv: MetaCursor;
  private readonly ool: MetaCursor;

  private constructor(
    private readonly reader: MetadataReader,
    private readonly limits: ReadLimits,
    private readonly idTableAt: number,
    private readonly ids: number,
    private readonly blocks: number[],
    /** Where the key/value metadata starts (it ends where the id entries' first block begins). */
    readonly kvStart: number,
  ) {
    const kvEnd = blocks[0] ?? idTableAt;
    this.kv = new MetaCursor(reader, kvStart, kvEnd, 'xattr table');
    this.ool = new MetaCursor(reader, kvStart, kvEnd, 'xattr table');
  }

  static open(img: ImageFile, reader: MetadataReader, sb: Superblock, limits: ReadLimits): XattrTable | null {
    const at = sb.xattrIdTableStart;
    if (at === null) return null;
    const head = img.read(at, 16, 'the xattr id table');
    const kvStart = head.readUInt32LE(4) * 2 ** 32 + head.readUInt32LE(0);
    const ids = head.readUInt32LE(8);
    // Every id is some inode's, and mksquashfs shares ids between inodes with equal xattrs.
    if (ids > sb.inodeCount)
      throw new ImageFormatError(`squashfs xattr table: ${ids} ids for ${sb.inodeCount} inodes`);
    if (kvStart < sb.directoryTableStart || kvStart > at) {
      throw new ImageFormatError(
        `squashfs xattr table: key/value data at ${kvStart} is outside the image tables`,
      );
    }
    const n = Math.ceil((ids * ID_ENTRY) / METADATA_SIZE);
    const index = img.read(at + 16, n * 8, 'the xattr id table index');
    const blocks: number[] = [];
    for (let i = 0; i < n; i++) {
      const pos = index.readUInt32LE(i * 8 + 4) * 2 ** 32 + index.readUInt32LE(i * 8);
      if (pos < kvStart || pos >= at)
        throw new ImageFormatError(`squashfs xattr table: id block ${i} at ${pos} is outside the table`);
      blocks.push(pos);
    }
    return new XattrTable(reader, limits, at, ids, blocks, kvStart);
  }

  /** The xattrs of xattr id `idx`, by full name ("security.capability"). */
  get(idx: number): Record<string, Buffer> {
    const hit = this.cache.get(idx);
    if (hit) return { ...hit };
    if (idx >= this.ids)
      throw new ImageFormatError(`squashfs inode refers to xattr id ${idx}, the table has ${this.ids}`);
    const blockPos = this.blocks[Math.floor((idx * ID_ENTRY) / METADATA_SIZE)]!;
    const { data } = this.reader.block(blockPos, this.idTableAt, 'xattr id table');
    const off = (idx * ID_ENTRY) % METADATA_SIZE;
    if (off + ID_ENTRY > data.length)
      throw new ImageFormatError(`squashfs xattr id ${idx} is past the end of its block`);
    const lo = data.readUInt32LE(off);
    const count = data.readUInt32LE(off + 8);
    if (count > MAX_XATTRS_PER_FILE)
      throw new ImageFormatError(`squashfs xattr id ${idx} claims ${count} xattrs`);
    // The reference: (block offset from kvStart) << 16 | offset; the high word holds block bits 16..47.
    this.kv.seek(data.readUInt32LE(off + 4) * 65536 + (lo >>> 16), lo & 0xffff);
    const out: Record<string, Buffer> = {};
    for (let i = 0; i < count; i++) {
      let at = this.kv.take(4);
      const type = this.kv.buf.readUInt16LE(at);
      const nameLen = this.kv.buf.readUInt16LE(at + 2);
      const prefix = PREFIXES[type & 0xff];
      if (prefix === undefined || (type & ~(0xff | VALUE_OOL)) !== 0) {
        throw new ImageFormatError(`squashfs xattr id ${idx}: unknown xattr type 0x${type.toString(16)}`);
      }
      if (nameLen === 0 || nameLen + prefix.length > 255) {
        throw new ImageFormatError(`squashfs xattr id ${idx}: invalid name length ${nameLen}`);
      }
      at = this.kv.take(nameLen);
      const name = prefix + this.kv.buf.toString('utf8', at, at + nameLen);
      at = this.kv.take(4);
      const size = this.kv.buf.readUInt32LE(at);
      let value: Buffer;
      if (type & VALUE_OOL) {
        if (size !== 8)
          throw new ImageFormatError(`squashfs xattr ${name}: out-of-line value reference of ${size} bytes`);
        at = this.kv.take(8);
        const rlo = this.kv.buf.readUInt32LE(at);
        this.ool.seek(this.kv.buf.readUInt32LE(at + 4) * 65536 + (rlo >>> 16), rlo & 0xffff);
        value = this.value(this.ool, name);
      } else {
        value = this.read(this.kv, size, name);
      }
      out[name] = value;
    }
    if (this.cache.size >= CACHE_IDS) this.cache.clear();
    this.cache.set(idx, out);
    return { ...out };
  }

  /** An out-of-line value record: u32 size, then the bytes. */
  private value(cur: MetaCursor, name: string): Buffer {
    const at = cur.take(4);
    return this.read(cur, cur.buf.readUInt32LE(at), name);
  }

  private read(cur: MetaCursor, size: number, name: string): Buffer {
    if (size > this.limits.maxXattrBytes) {
      throw new ImageFormatError(
        `squashfs xattr ${name}: value of ${size} bytes exceeds the limit of ${this.limits.maxXattrBytes}`,
      );
    }
    const at = cur.take(size);
    return Buffer.from(cur.buf.subarray(at, at + size));
  }
}
