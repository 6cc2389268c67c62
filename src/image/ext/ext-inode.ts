// One ext inode decoded: type, permissions, 32-bit owners, 64-bit size, flags, block pointers and device numbers.
import { ImageFormatError, type EntryType } from '../image-entry.js';
import { hasIncompat, hasRoCompat, type ExtSuperblock } from './ext-superblock.js';

// i_flags bits (e2fsprogs lib/ext2fs/ext2_fs.h).
export const FL_ENCRYPT = 0x800;
export const FL_HUGE_FILE = 0x40000;
export const FL_EXTENTS = 0x80000;
export const FL_EA_INODE = 0x200000;
export const FL_INLINE_DATA = 0x10000000;

const GOOD_OLD_INODE_SIZE = 128;
/** Bytes of i_block: 15 block pointers, or an extent tree root, or a fast symlink's target. */
export const I_BLOCK_SIZE = 60;

const TYPES: Record<number, EntryType> = {
  0x1000: 'fifo',
  0x2000: 'char',
  0x4000: 'dir',
  0x6000: 'block',
  0x8000: 'file',
  0xa000: 'symlink',
  0xc000: 'socket',
};

export interface ExtInode {
  ino: number;
  type: EntryType;
  /** Permission bits including setuid, setgid and sticky. */
  perm: number;
  uid: number;
  gid: number;
  size: number;
  links: number;
  flags: number;
  /** Blocks in use, in 512-byte sectors (huge_file inodes count file system blocks; converted). */
  sectors: number;
  /** The external xattr block (i_file_acl), 0 when none. */
  xattrBlock: number;
  iBlock: Buffer;
  /** The in-inode xattr area after i_extra_isize (empty for 128-byte inodes). */
  inlineXattrArea: Buffer;
}

function bad(ino: number, msg: string): never {
  throw new ImageFormatError(`ext: inode ${ino}: ${msg}`);
}

/** Decodes an inode that a directory entry references: it must be in use and of a known type. */
export function parseInode(sb: ExtSuperblock, ino: number, raw: Buffer): ExtInode {
  const mode = raw.readUInt16LE(0x00);
  const links = raw.readUInt16LE(0x1a);
  const type = TYPES[mode & 0xf000];
  // ext4_iget refuses a referenced inode with no links ("deleted inode referenced"): a hole in the tree.
  if (links === 0 || mode === 0) bad(ino, 'is referenced by a directory but deleted (no links)');
  if (type === undefined) bad(ino, `file type 0o${(mode & 0xf000).toString(8)} is unknown`);
  const flags = raw.readUInt32LE(0x20);
  if ((flags & FL_INLINE_DATA) !== 0) bad(ino, 'stores inline data, an unsupported ext4 feature');
  if ((flags & FL_ENCRYPT) !== 0) bad(ino, 'is encrypted (fscrypt), an unsupported ext4 feature');
  const sizeHi = raw.readUInt32LE(0x6c);
  if (sizeHi >= 0x200000) bad(ino, `size ${sizeHi} × 2^32 bytes is absurd`); // > 2^53: beyond any ext4 maximum
  const size = raw.readUInt32LE(0x04) + sizeHi * 2 ** 32;

  let sectors = raw.readUInt32LE(0x1c);
  if (hasRoCompat(sb, 'huge_file')) {
    sectors += raw.readUInt16LE(0x74) * 2 ** 32;
    if ((flags & FL_HUGE_FILE) !== 0) sectors *= sb.blockSize / 512;
  }
  const aclHi = hasIncompat(sb, '64bit') ? raw.readUInt16LE(0x76) : 0;

  let inlineXattrArea: Buffer = Buffer.alloc(0);
  if (sb.inodeSize > GOOD_OLD_INODE_SIZE) {
    const extra = raw.readUInt16LE(0x80);
    // fs/ext4/inode.c ext4_iget: "bad extra_isize" unless it fits the inode and is a multiple of 4.
    if (GOOD_OLD_INODE_SIZE + extra > sb.inodeSize || extra % 4 !== 0)
      bad(ino, `extra inode size ${extra} does not fit a ${sb.inodeSize}-byte inode`);
    inlineXattrArea = raw.subarray(GOOD_OLD_INODE_SIZE + extra);
  }
  return {
    ino,
    type,
    perm: mode & 0o7777,
    // The high 16 bits of the owners live in osd2 (l_i_uid_high, l_i_gid_high).
    uid: raw.readUInt16LE(0x02) + raw.readUInt16LE(0x78) * 0x10000,
    gid: raw.readUInt16LE(0x18) + raw.readUInt16LE(0x7a) * 0x10000,
    size,
    links,
    flags,
    sectors,
    xattrBlock: raw.readUInt32LE(0x68) + aclHi * 2 ** 32,
    iBlock: raw.subarray(0x28, 0x28 + I_BLOCK_SIZE),
    inlineXattrArea,
  };
}

/**
 * Device numbers of a char or block inode. The kernel writes the old 8:8 encoding to i_block[0] when it fits and the
 * new one (12-bit major, 20-bit minor, as new_encode_dev) to i_block[1] otherwise (fs/ext4/inode.c ext4_iget).
 */
export function deviceNumbers(node: ExtInode): { major: number; minor: number } {
  const old = node.iBlock.readUInt32LE(0);
  if (old !== 0) return { major: (old >>> 8) & 0xff, minor: old & 0xff };
  const v = node.iBlock.readUInt32LE(4);
  return { major: (v & 0xfff00) >>> 8, minor: (v & 0xff) | ((v >>> 12) & 0xfff00) };
}

/**
 * A fast symlink keeps its target in i_block: it has no data blocks besides an xattr block
 * (fs/ext4/inode.c ext4_inode_is_fast_symlink).
 */
export function isFastSymlink(sb: ExtSuperblock, node: ExtInode): boolean {
  const eaSectors = node.xattrBlock !== 0 ? sb.blockSize / 512 : 0;
  return node.size < I_BLOCK_SIZE && node.sectors - eaSectors <= 0;
}
