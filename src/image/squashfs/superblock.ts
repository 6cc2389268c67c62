// The squashfs 4.0 superblock: 96 little-endian bytes at the image start (squashfs_fs.h struct squashfs_super_block),
// checked so that every table it points to lies inside the image before anything else is read.
import type { Compressor } from '../decompress/decompress.js';
import { ImageFormatError, type ReadLimits } from '../image-entry.js';
import type { ImageFile } from './image-file.js';

export const SUPERBLOCK_SIZE = 96;
export const METADATA_SIZE = 8192;
const MAGIC = 0x73717368; // "hsqs"
const MAGIC_BIG_ENDIAN = 0x68737173; // "sqsh": squashfs 1.x-3.x on big-endian machines
/** Compression ids of squashfs_fs.h (ZLIB_COMPRESSION 1 ... ZSTD_COMPRESSION 6); some third-party docs swap 2 and 3. */
const COMPRESSORS: Record<number, Compressor> = {
  1: 'gzip',
  2: 'lzma',
  3: 'lzo',
  4: 'xz',
  5: 'lz4',
  6: 'zstd',
};

/** Superblock flag bits (squashfs_fs.h SQUASHFS_*_BIT), named as `unsquashfs -s` describes them. */
const FLAG_BITS = {
  inodesUncompressed: 0x0001,
  dataUncompressed: 0x0002,
  fragmentsUncompressed: 0x0008,
  noFragments: 0x0010,
  alwaysFragments: 0x0020,
  duplicates: 0x0040,
  exportable: 0x0080,
  xattrsUncompressed: 0x0100,
  noXattrs: 0x0200,
  compressorOptions: 0x0400,
  idsUncompressed: 0x0800,
} as const;

export type SquashfsFlags = Record<keyof typeof FLAG_BITS, boolean>;

export interface Superblock {
  inodeCount: number;
  modTime: number;
  blockSize: number;
  fragmentCount: number;
  compressor: Compressor;
  flags: SquashfsFlags;
  idCount: number;
  rootInodeRef: number;
  bytesUsed: number;
  idTableStart: number;
  /** Null when the image has no such table (all-ones on disk). */
  xattrIdTableStart: number | null;
  inodeTableStart: number;
  directoryTableStart: number;
  fragmentTableStart: number | null;
  exportTableStart: number | null;
}

/** A u64 as a number; all-ones ("no table") as null; anything past 2^53 cannot be inside a file anyway. */
function u64(b: Buffer, at: number): number | null {
  const lo = b.readUInt32LE(at);
  const hi = b.readUInt32LE(at + 4);
  if (lo === 0xffffffff && hi === 0xffffffff) return null;
  return hi > 0x1fffff ? Number.MAX_SAFE_INTEGER : hi * 2 ** 32 + lo;
}

export function readSuperblock(img: ImageFile, limits: ReadLimits): Superblock {
  if (img.length < SUPERBLOCK_SIZE) {
    throw new ImageFormatError(`not a squashfs image: ${img.length} bytes is smaller than a superblock`);
  }
  const b = img.read(0, SUPERBLOCK_SIZE, 'the superblock');
  const magic = b.readUInt32LE(0);
  if (magic === MAGIC_BIG_ENDIAN)
    throw new ImageFormatError('big-endian squashfs (version 3 or older) is not supported');
  if (magic !== MAGIC) throw new ImageFormatError('not a squashfs image (bad magic)');
  const major = b.readUInt16LE(28);
  const minor = b.readUInt16LE(30);
  if (major !== 4 || minor !== 0)
    throw new ImageFormatError(`squashfs ${major}.${minor} is not supported (only 4.0)`);
  const compressorId = b.readUInt16LE(20);
  const compressor = COMPRESSORS[compressorId];
  if (!compressor) throw new ImageFormatError(`unknown squashfs compressor id ${compressorId}`);
  const blockSize = b.readUInt32LE(12);
  const blockLog = b.readUInt16LE(22);
  if (blockSize < 4096 || blockSize > 1024 * 1024 || blockSize !== 2 ** blockLog) {
    throw new ImageFormatError(`invalid squashfs block size ${blockSize} (block_log ${blockLog})`);
  }
  const raw = b.readUInt16LE(24);
  const flags = Object.fromEntries(
    Object.entries(FLAG_BITS).map(([k, bit]) => [k, (raw & bit) !== 0]),
  ) as SquashfsFlags;
  const sb: Superblock = {
    inodeCount: b.readUInt32LE(4),
    modTime: b.readUInt32LE(8),
    blockSize,
    fragmentCount: b.readUInt32LE(16),
    compressor,
    flags,
    idCount: b.readUInt16LE(26),
    rootInodeRef: u64(b, 32) ?? -1,
    bytesUsed: u64(b, 40) ?? -1,
    idTableStart: u64(b, 48) ?? -1,
    xattrIdTableStart: u64(b, 56),
    inodeTableStart: u64(b, 64) ?? -1,
    directoryTableStart: u64(b, 72) ?? -1,
    fragmentTableStart: u64(b, 80),
    exportTableStart: u64(b, 88),
  };
  validate(sb, img.length, limits);
  return sb;
}

function validate(sb: Superblock, length: number, limits: ReadLimits): void {
  const bad = (what: string): never => {
    throw new ImageFormatError(`corrupt squashfs superblock: ${what}`);
  };
  if (sb.bytesUsed < SUPERBLOCK_SIZE) bad(`bytes_used ${sb.bytesUsed}`);
  if (sb.bytesUsed > length) {
    throw new ImageFormatError(
      `squashfs image is truncated: the superblock says ${sb.bytesUsed} bytes, ${length} are present`,
    );
  }
  const end = sb.bytesUsed;
  if (sb.inodeTableStart < SUPERBLOCK_SIZE || sb.inodeTableStart >= end)
    bad(`inode table at ${sb.inodeTableStart}`);
  if (sb.directoryTableStart <= sb.inodeTableStart || sb.directoryTableStart >= end) {
    bad(`directory table at ${sb.directoryTableStart}`);
  }
  if (sb.idCount === 0) bad('no uid/gid table entries');
  const idIndexBytes = Math.ceil((sb.idCount * 4) / METADATA_SIZE) * 8;
  if (sb.idTableStart < sb.directoryTableStart || sb.idTableStart + idIndexBytes > end)
    bad(`id table at ${sb.idTableStart}`);
  if (
    sb.xattrIdTableStart !== null &&
    (sb.xattrIdTableStart < sb.directoryTableStart || sb.xattrIdTableStart + 16 > end)
  ) {
    bad(`xattr table at ${sb.xattrIdTableStart}`);
  }
  for (const [name, at] of [
    ['fragment', sb.fragmentTableStart],
    ['export', sb.exportTableStart],
  ] as const) {
    if (at !== null && (at < sb.directoryTableStart || at >= end)) bad(`${name} table at ${at}`);
  }
  if (sb.inodeCount === 0) bad('inode count 0');
  if (sb.inodeCount > limits.maxEntries) {
    throw new ImageFormatError(
      `squashfs inode count ${sb.inodeCount} exceeds the limit of ${limits.maxEntries}`,
    );
  }
  if (
    sb.rootInodeRef < 0 ||
    Math.floor(sb.rootInodeRef / 65536) >= sb.directoryTableStart - sb.inodeTableStart
  ) {
    bad('root inode reference outside the inode table');
  }
}

export interface SquashfsInfo {
  compressor: Compressor;
  blockSize: number;
  inodeCount: number;
  bytesUsed: number;
  idCount: number;
  fragmentCount: number;
  /** Creation (or last append) time, seconds since the epoch. */
  modTime: number;
  flags: SquashfsFlags;
}

export function infoOf(sb: Superblock): SquashfsInfo {
  const { compressor, blockSize, inodeCount, bytesUsed, idCount, fragmentCount, modTime, flags } = sb;
  return {
    compressor,
    blockSize,
    inodeCount,
    bytesUsed,
    idCount,
    fragmentCount,
    modTime,
    flags: { ...flags },
  };
}
