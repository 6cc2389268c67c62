// The ext2/3/4 superblock (1024 bytes at offset 1024), checked the way the kernel checks it before mounting.
import { ImageFormatError } from '../image-entry.js';

/** Byte offset of the primary superblock (Documentation/filesystems/ext4/super.rst). */
export const SUPERBLOCK_OFFSET = 1024;
export const SUPERBLOCK_SIZE = 1024;
const EXT_MAGIC = 0xef53;

// Feature bits from e2fsprogs lib/ext2fs/ext2_fs.h (EXT*_FEATURE_*).
export const INCOMPAT = {
  compression: 0x1,
  filetype: 0x2,
  recover: 0x4,
  journal_dev: 0x8,
  meta_bg: 0x10,
  extents: 0x40,
  '64bit': 0x80,
  mmp: 0x100,
  flex_bg: 0x200,
  ea_inode: 0x400,
  dirdata: 0x1000,
  csum_seed: 0x2000,
  largedir: 0x4000,
  inline_data: 0x8000,
  encrypt: 0x10000,
  casefold: 0x20000,
} as const;

export const RO_COMPAT = {
  sparse_super: 0x1,
  large_file: 0x2,
  huge_file: 0x8,
  gdt_csum: 0x10,
  bigalloc: 0x200,
  metadata_csum: 0x400,
} as const;

export const COMPAT_SPARSE_SUPER2 = 0x200;

/**
 * Incompatible features this reader cannot honour: compressed blocks (never merged upstream), an external journal
 * device (not a file system), Lustre's dirdata, inline data (file and directory bodies inside the inode) and
 * fscrypt (encrypted names and contents). Everything else only changes where metadata lives, which we follow.
 */
const UNSUPPORTED: (keyof typeof INCOMPAT)[] = [
  'compression',
  'journal_dev',
  'dirdata',
  'inline_data',
  'encrypt',
];
const KNOWN_INCOMPAT = Object.values(INCOMPAT).reduce((a, b) => a | b, 0);

export interface ExtSuperblock {
  inodesCount: number;
  blocksCount: number;
  firstDataBlock: number;
  blockSize: number;
  blocksPerGroup: number;
  inodesPerGroup: number;
  groupCount: number;
  revLevel: number;
  firstIno: number;
  inodeSize: number;
  compat: number;
  incompat: number;
  roCompat: number;
  /** Group descriptor size: 32, or s_desc_size (>= 64) with the 64bit feature. */
  descSize: number;
  firstMetaBg: number;
  /** The two groups holding backups under sparse_super2 (s_backup_bgs at 0x24c). */
  backupBgs: [number, number];
}

export function hasIncompat(sb: ExtSuperblock, f: keyof typeof INCOMPAT): boolean {
  return (sb.incompat & INCOMPAT[f]) !== 0;
}

export function hasRoCompat(sb: ExtSuperblock, f: keyof typeof RO_COMPAT): boolean {
  return (sb.roCompat & RO_COMPAT[f]) !== 0;
}

/** Group descriptor checksums make bg_flags (INODE_UNINIT) meaningful (the kernel's ext4_has_group_desc_csum). */
export function hasGroupDescCsum(sb: ExtSuperblock): boolean {
  return hasRoCompat(sb, 'gdt_csum') || hasRoCompat(sb, 'metadata_csum');
}

function bad(msg: string): never {
  throw new ImageFormatError(`ext superblock: ${msg}`);
}

const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/**
 * Parses and validates a superblock. `available` is the byte length of the volume (file or partition): like the
 * kernel ("bad geometry: block count exceeds size of device", fs/ext4/super.c) a file system larger than its
 * container is refused, which also bounds every block number to the bytes that exist.
 */
export function parseSuperblock(b: Buffer, available: number): ExtSuperblock {
  if (b.length < SUPERBLOCK_SIZE) bad(`only ${b.length} bytes where 1024 are needed`);
  const magic = b.readUInt16LE(0x38);
  if (magic !== EXT_MAGIC) bad(`magic 0x${magic.toString(16)} is not 0xef53`);
  const revLevel = b.readUInt32LE(0x4c);
  if (revLevel > 1) bad(`revision ${revLevel} is unknown (0 and 1 exist)`);
  const logBlock = b.readUInt32LE(0x18);
  if (logBlock > 6) bad(`block size 2^(10+${logBlock}) is larger than 64 KiB`);
  const blockSize = 1024 << logBlock;
  const compat = b.readUInt32LE(0x5c);
  const incompat = revLevel === 0 ? 0 : b.readUInt32LE(0x60);
  const roCompat = revLevel === 0 ? 0 : b.readUInt32LE(0x64);
  const unknown = incompat & ~KNOWN_INCOMPAT;
  if (unknown !== 0) bad(`unknown incompatible feature bits 0x${unknown.toString(16)}`);
  const unsupported = UNSUPPORTED.filter((f) => (incompat & INCOMPAT[f]) !== 0);
  if (unsupported.length > 0)
    throw new ImageFormatError(
      `unsupported ext4 feature: ${unsupported.join(', ')} (cannot be read without mounting)`,
    );
  // An unreplayed journal is replayed by the kernel on mount, even a read-only one (Documentation/filesystems/
  // ext4.rst, "norecovery"): what runs could differ from what is on disk, so this listing would not be the truth.
  if ((incompat & INCOMPAT.recover) !== 0)
    throw new ImageFormatError(
      'ext journal needs recovery: the kernel replays it on mount, which can change the listing (run e2fsck first)',
    );

  const is64 = (incompat & INCOMPAT['64bit']) !== 0;
  const blocksCount = b.readUInt32LE(0x04) + (is64 ? b.readUInt32LE(0x150) * 2 ** 32 : 0);
  const firstDataBlock = b.readUInt32LE(0x14);
  const blocksPerGroup = b.readUInt32LE(0x20);
  const inodesPerGroup = b.readUInt32LE(0x28);
  const inodesCount = b.readUInt32LE(0x00);
  const inodeSize = revLevel === 0 ? 128 : b.readUInt16LE(0x58);
  const firstIno = revLevel === 0 ? 11 : b.readUInt32LE(0x54);

  // 1 with 1 KiB blocks (the superblock fills block 1), else 0; bigalloc puts 0 at any block size (descriptor_loc).
  const bigalloc = (roCompat & RO_COMPAT.bigalloc) !== 0;
  const firstOk =
    blockSize > 1024 ? firstDataBlock === 0 : firstDataBlock === 1 || (bigalloc && firstDataBlock === 0);
  if (!firstOk) bad(`first data block ${firstDataBlock} does not fit block size ${blockSize}`);
  if (blocksCount <= firstDataBlock) bad(`block count ${blocksCount} leaves no data blocks`);
  if (blocksCount * blockSize > available)
    bad(`block count ${blocksCount} × ${blockSize} bytes exceeds the ${available} bytes available`);
  // bigalloc groups count clusters, so blocks per group may exceed 8 × block size by the cluster ratio.
  const logCluster = b.readUInt32LE(0x1c);
  const clusterRatio =
    bigalloc && logCluster >= logBlock && logCluster < 30 ? 2 ** (logCluster - logBlock) : 1;
  if (blocksPerGroup < 1 || blocksPerGroup > 8 * blockSize * clusterRatio)
    bad(`${blocksPerGroup} blocks per group is outside 1..${8 * blockSize * clusterRatio}`);
  if (inodeSize < 128 || inodeSize > blockSize || !isPow2(inodeSize))
    bad(`inode size ${inodeSize} is not a power of two between 128 and the block size`);
  // fs/ext4/super.c: "invalid inodes per group"; at least one block of inodes, at most one bitmap's worth.
  if (inodesPerGroup < blockSize / inodeSize || inodesPerGroup > 8 * blockSize)
    bad(`${inodesPerGroup} inodes per group is outside ${blockSize / inodeSize}..${8 * blockSize}`);
  const groupCount = Math.ceil((blocksCount - firstDataBlock) / blocksPerGroup);
  // fs/ext4/super.c: "inodes count not valid" unless it is exactly groups × inodes per group.
  if (groupCount * inodesPerGroup !== inodesCount)
    bad(`inode count ${inodesCount} is not ${groupCount} groups × ${inodesPerGroup} inodes per group`);
  if (firstIno < 11 || firstIno > inodesCount) bad(`first inode ${firstIno} is outside 11..${inodesCount}`);

  let descSize = 32;
  if (is64) {
    descSize = b.readUInt16LE(0xfe);
    if (descSize < 64 || descSize > 1024 || !isPow2(descSize))
      bad(`group descriptor size ${descSize} is not a power of two between 64 and 1024`);
  }
  const firstMetaBg = b.readUInt32LE(0x104);
  const gdtBlocks = Math.ceil((groupCount * descSize) / blockSize);
  if ((incompat & INCOMPAT.meta_bg) !== 0) {
    if (firstMetaBg > gdtBlocks)
      bad(`first meta_bg ${firstMetaBg} is beyond the ${gdtBlocks} descriptor blocks`);
  } else if (firstDataBlock + 1 + gdtBlocks > blocksCount) {
    bad(`${groupCount} group descriptors do not fit in ${blocksCount} blocks`);
  }
  return {
    inodesCount,
    blocksCount,
    firstDataBlock,
    blockSize,
    blocksPerGroup,
    inodesPerGroup,
    groupCount,
    revLevel,
    firstIno,
    inodeSize,
    compat,
    incompat,
    roCompat,
    descSize,
    firstMetaBg,
    backupBgs: [b.readUInt32LE(0x24c), b.readUInt32LE(0x250)],
  };
}

function isPowerOf(n: number, base: number): boolean {
  let x = base;
  while (x < n) x *= base;
  return x === n;
}

/** Whether a group holds a superblock backup, which moves its meta_bg descriptor block by one (ext4_bg_has_super). */
export function groupHasSuper(sb: ExtSuperblock, group: number): boolean {
  if (group === 0) return true;
  if ((sb.compat & COMPAT_SPARSE_SUPER2) !== 0) return group === sb.backupBgs[0] || group === sb.backupBgs[1];
  if (group <= 1 || !hasRoCompat(sb, 'sparse_super')) return true;
  if ((group & 1) === 0) return false;
  return isPowerOf(group, 3) || isPowerOf(group, 5) || isPowerOf(group, 7);
}
