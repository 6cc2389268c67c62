// An ext volume inside a file: checked block reads at an offset, a block cache, group descriptors, raw inodes.
import * as fs from 'node:fs';
import { ImageFormatError, type ReadLimits } from '../image-entry.js';
import {
  groupHasSuper,
  hasGroupDescCsum,
  hasIncompat,
  parseSuperblock,
  SUPERBLOCK_OFFSET,
  SUPERBLOCK_SIZE,
  type ExtSuperblock,
} from './ext-superblock.js';

const CACHE_BLOCKS = 64;
const BG_INODE_UNINIT = 0x1; // bg_flags (Documentation/filesystems/ext4/group_descr.rst)

export interface GroupDescriptor {
  inodeTable: number;
  flags: number;
}

export class ExtVolume {
  readonly sb: ExtSuperblock;
  readonly limits: ReadLimits;
  private readonly fd: number;
  private readonly base: number;
  private readonly cache = new Map<number, Buffer>();
  private readonly groups = new Map<number, GroupDescriptor>();
  private readonly started = Date.now();
  private metadataBytes = 0;

  /** `base` and `length` place the volume in the file (a SIF partition, or 0 and the file size). */
  constructor(fd: number, base: number, length: number, limits: ReadLimits) {
    this.fd = fd;
    this.base = base;
    this.limits = limits;
    if (length < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE)
      throw new ImageFormatError(
        `ext: ${length} bytes are too few for a file system (the superblock ends at 2048)`,
      );
    this.sb = parseSuperblock(this.readAt(SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE), length);
  }

  /** Throws when the wall-clock deadline has passed; called on every block read and every entry. */
  checkDeadline(): void {
    if (Date.now() - this.started > this.limits.deadlineMs)
      throw new ImageFormatError(`ext: reading took longer than the ${this.limits.deadlineMs} ms deadline`);
  }

  private readAt(pos: number, len: number): Buffer {
    const buf = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const n = fs.readSync(this.fd, buf, got, len - got, this.base + pos + got);
      if (n === 0)
        throw new ImageFormatError(`ext: file ends at volume byte ${pos + got}, ${len - got} bytes short`);
      got += n;
    }
    return buf;
  }

  /** Whether `block` (and `count - 1` after it) lies inside the file system, past the boot block. */
  validBlock(block: number, count = 1): boolean {
    return Number.isSafeInteger(block) && block >= 1 && count >= 1 && block + count <= this.sb.blocksCount;
  }

  /** One block, validated against the block count and charged to the metadata budget unless cached. */
  readBlock(block: number, what: string): Buffer {
    if (!this.validBlock(block))
      throw new ImageFormatError(
        `ext: ${what} points to block ${block}, outside 1..${this.sb.blocksCount - 1}`,
      );
    const hit = this.cache.get(block);
    if (hit) {
      this.cache.delete(block);
      this.cache.set(block, hit);
      return hit;
    }
    this.checkDeadline();
    const bs = this.sb.blockSize;
    this.metadataBytes += bs;
    if (this.metadataBytes > this.limits.maxMetadataBytes)
      throw new ImageFormatError(`ext: more than ${this.limits.maxMetadataBytes} bytes of metadata read`);
    const buf = this.readAt(block * bs, bs);
    if (this.cache.size >= CACHE_BLOCKS) this.cache.delete(this.cache.keys().next().value as number);
    this.cache.set(block, buf);
    return buf;
  }

  /** The block holding group descriptor block `nr`: fs/ext4/super.c descriptor_loc, meta_bg included. */
  private descriptorBlock(nr: number): number {
    const sb = this.sb;
    if (!hasIncompat(sb, 'meta_bg') || nr < sb.firstMetaBg) return sb.firstDataBlock + 1 + nr;
    const group = nr * (sb.blockSize / sb.descSize);
    let hasSuper = groupHasSuper(sb, group) ? 1 : 0;
    if (sb.blockSize === 1024 && nr === 0 && sb.firstDataBlock === 0) hasSuper++;
    return sb.firstDataBlock + group * sb.blocksPerGroup + hasSuper;
  }

  groupDescriptor(group: number): GroupDescriptor {
    const cached = this.groups.get(group);
    if (cached) return cached;
    const sb = this.sb;
    const perBlock = sb.blockSize / sb.descSize;
    const blk = this.readBlock(
      this.descriptorBlock(Math.floor(group / perBlock)),
      `group descriptor ${group}`,
    );
    const off = (group % perBlock) * sb.descSize;
    const hi = sb.descSize >= 64 ? blk.readUInt32LE(off + 0x28) : 0;
    const gd: GroupDescriptor = {
      inodeTable: blk.readUInt32LE(off + 0x08) + hi * 2 ** 32,
      flags: hasGroupDescCsum(sb) ? blk.readUInt16LE(off + 0x12) : 0,
    };
    const tableBlocks = Math.ceil((sb.inodesPerGroup * sb.inodeSize) / sb.blockSize);
    if (!this.validBlock(gd.inodeTable, tableBlocks))
      throw new ImageFormatError(
        `ext: group ${group}'s inode table (block ${gd.inodeTable}, ${tableBlocks} blocks) lies outside the file system`,
      );
    if (this.groups.size >= 4096) this.groups.clear();
    this.groups.set(group, gd);
    return gd;
  }

  /** The raw on-disk inode (s_inode_size bytes); `ino` must be 1..s_inodes_count. */
  rawInode(ino: number): Buffer {
    const sb = this.sb;
    if (!Number.isInteger(ino) || ino < 1 || ino > sb.inodesCount)
      throw new ImageFormatError(`ext: inode number ${ino} is outside 1..${sb.inodesCount}`);
    const group = Math.floor((ino - 1) / sb.inodesPerGroup);
    const index = (ino - 1) % sb.inodesPerGroup;
    const gd = this.groupDescriptor(group);
    if ((gd.flags & BG_INODE_UNINIT) !== 0)
      throw new ImageFormatError(
        `ext: inode ${ino} is in group ${group}, whose inode table is uninitialised`,
      );
    const byteOff = index * sb.inodeSize;
    const blk = this.readBlock(gd.inodeTable + Math.floor(byteOff / sb.blockSize), `inode ${ino}`);
    const off = byteOff % sb.blockSize;
    return blk.subarray(off, off + sb.inodeSize);
  }
}
