// Squashfs inodes, basic and extended, of all seven kinds (squashfs_fs.h struct squashfs_*_inode_header),
// decoded from an inode reference; file block lists are never read (the audit needs metadata only).
import { ImageFormatError, type EntryType, type ReadLimits } from '../image-entry.js';
import { u16, u32, utf8, type MetaCursor } from './metadata.js';

/** Basic inode types 1..7; the extended types are the same plus 7. */
export const DIR = 1;
const TYPES: EntryType[] = ['dir', 'file', 'symlink', 'block', 'char', 'fifo', 'socket'];
export const NO_XATTR = 0xffffffff;

export interface Inode {
  /** 1..7: dir, file, symlink, block, char, fifo, socket (what directory entries store). */
  basicType: number;
  type: EntryType;
  /** Permission bits 07777 (squashfs stores st_mode & 07777: SQUASHFS_MODE). */
  mode: number;
  uidIdx: number;
  gidIdx: number;
  inodeNumber: number;
  nlink: number;
  size: number;
  /** Directories: where the listing is, and its length (file_size less the 3 bytes of "." and ".."). */
  dirBlock: number;
  dirOffset: number;
  dirBytes: number;
  target: string | null;
  rdev: number;
  xattr: number;
}

/** A fresh Inode to pass to readInode() again and again: the walk decodes every inode into the same one. */
export function newInode(): Inode {
  return {
    basicType: 0,
    type: 'file',
    mode: 0,
    uidIdx: 0,
    gidIdx: 0,
    inodeNumber: 0,
    nlink: 1,
    size: 0,
    dirBlock: 0,
    dirOffset: 0,
    dirBytes: 0,
    target: null,
    rdev: 0,
    xattr: NO_XATTR,
  };
}

/** Decodes the inode at (block, offset) of the inode table into `inode`, overwriting every field. */
export function readInode(
  cur: MetaCursor,
  block: number,
  offset: number,
  inodeCount: number,
  limits: ReadLimits,
  inode: Inode,
): void {
  cur.seek(block, offset);
  let at = cur.take(16);
  let b = cur.buf;
  const rawType = u16(b, at);
  if (rawType < 1 || rawType > 14)
    throw new ImageFormatError(`squashfs inode ${block}:${offset}: unknown type ${rawType}`);
  const extended = rawType > 7;
  const basicType = extended ? rawType - 7 : rawType;
  inode.basicType = basicType;
  inode.type = TYPES[basicType - 1]!;
  inode.mode = u16(b, at + 2) & 0o7777;
  inode.uidIdx = u16(b, at + 4);
  inode.gidIdx = u16(b, at + 6);
  inode.inodeNumber = u32(b, at + 12);
  inode.nlink = 1;
  inode.size = 0;
  inode.dirBytes = 0;
  inode.target = null;
  inode.rdev = 0;
  inode.xattr = NO_XATTR;
  if (inode.inodeNumber < 1 || inode.inodeNumber > inodeCount) {
    throw new ImageFormatError(
      `squashfs inode ${block}:${offset}: inode number ${inode.inodeNumber} is outside 1..${inodeCount}`,
    );
  }
  switch (rawType) {
    case 1: // u32 start_block, u32 nlink, u16 file_size, u16 offset, u32 parent_inode
      at = cur.take(16);
      b = cur.buf;
      inode.dirBlock = u32(b, at);
      inode.nlink = u32(b, at + 4);
      inode.size = u16(b, at + 8);
      inode.dirOffset = u16(b, at + 10);
      break;
    case 8: // u32 nlink, u32 file_size, u32 start_block, u32 parent, u16 i_count, u16 offset, u32 xattr
      at = cur.take(24);
      b = cur.buf;
      inode.nlink = u32(b, at);
      inode.size = u32(b, at + 4);
      inode.dirBlock = u32(b, at + 8);
      inode.dirOffset = u16(b, at + 18);
      inode.xattr = u32(b, at + 20);
      break;
    case 2: // u32 start_block, u32 fragment, u32 offset, u32 file_size
      at = cur.take(16);
      inode.size = u32(cur.buf, at + 12);
      break;
    case 9: // u64 start_block, u64 file_size, u64 sparse, u32 nlink, u32 fragment, u32 offset, u32 xattr
      at = cur.take(40);
      b = cur.buf;
      inode.size = u32(b, at + 12) * 2 ** 32 + u32(b, at + 8);
      inode.nlink = u32(b, at + 24);
      inode.xattr = u32(b, at + 36);
      break;
    case 3:
    case 10: {
      // u32 nlink, u32 symlink_size, target bytes (no NUL), then u32 xattr when extended
      at = cur.take(8);
      inode.nlink = u32(cur.buf, at);
      const len = u32(cur.buf, at + 4);
      if (len > limits.maxPathBytes) {
        throw new ImageFormatError(
          `squashfs inode ${block}:${offset}: symlink target of ${len} bytes exceeds the limit of ${limits.maxPathBytes}`,
        );
      }
      at = cur.take(len);
      inode.target = utf8(cur.buf, at, at + len);
      inode.size = len;
      if (extended) {
        at = cur.take(4);
        inode.xattr = u32(cur.buf, at);
      }
      break;
    }
    case 4:
    case 5:
    case 11:
    case 12: // u32 nlink, u32 rdev, [u32 xattr]
      at = cur.take(extended ? 12 : 8);
      b = cur.buf;
      inode.nlink = u32(b, at);
      inode.rdev = u32(b, at + 4);
      if (extended) inode.xattr = u32(b, at + 8);
      break;
    default: // 6, 7, 13, 14: u32 nlink, [u32 xattr]
      at = cur.take(extended ? 8 : 4);
      b = cur.buf;
      inode.nlink = u32(b, at);
      if (extended) inode.xattr = u32(b, at + 4);
  }
  if (basicType === DIR) inode.dirBytes = Math.max(0, inode.size - 3);
}

/** Linux's new_decode_dev(): 12-bit major, 20-bit minor split around it (mksquashfs stores this encoding). */
export function deviceNumbers(rdev: number): { major: number; minor: number } {
  return { major: (rdev >>> 8) & 0xfff, minor: (rdev & 0xff) | ((rdev >>> 12) & 0xfff00) };
}
