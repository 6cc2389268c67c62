// Extended attributes of an ext inode: in-inode area, external block, EA inodes; ACLs as getxattr returns them.
import { ImageFormatError } from '../image-entry.js';
import { readData } from './ext-block-map.js';
import { FL_EA_INODE, parseInode, type ExtInode } from './ext-inode.js';
import { hasIncompat } from './ext-superblock.js';
import type { ExtVolume } from './ext-volume.js';

const XATTR_MAGIC = 0xea020000;
const BLOCK_HEADER = 32; // struct ext4_xattr_header
const ENTRY_HEADER = 16; // struct ext4_xattr_entry without the name

/**
 * Name prefixes by e_name_index (fs/ext4/xattr.h EXT4_XATTR_INDEX_*, e2fsprogs lib/ext2fs/ext_attr.c ea_names).
 * Other indexes (lustre, the fscrypt context) have no handler in the kernel and never reach listxattr(2).
 */
const PREFIXES: Record<number, string> = {
  1: 'user.',
  2: 'system.posix_acl_access',
  3: 'system.posix_acl_default',
  4: 'trusted.',
  6: 'security.',
  7: 'system.',
  8: 'system.richacl',
  10: 'gnu.',
};

// ACL tags (fs/ext4/acl.h, include/uapi/linux/posix_acl.h).
const ACL_USER = 0x02;
const ACL_GROUP = 0x08;
const SHORT_TAGS = new Set([0x01, 0x04, 0x10, 0x20]); // USER_OBJ, GROUP_OBJ, MASK, OTHER
const ACL_UNDEFINED_ID = 0xffffffff;

/**
 * ext4 stores ACLs compactly (version 1, 4-byte entries without an id); getxattr(2) returns the VFS form (version 2,
 * 8-byte entries, id -1 where none applies: fs/posix_acl.c posix_acl_to_xattr). Squashfs images carry the VFS form,
 * so we convert: one shape for the audit whatever the image format.
 */
export function ext4AclToXattr(disk: Buffer, ino: number): Buffer {
  if (disk.length < 4 || disk.readUInt32LE(0) !== 1)
    throw new ImageFormatError(`ext: inode ${ino}: malformed ACL`);
  const out: Buffer[] = [Buffer.from([2, 0, 0, 0])];
  let off = 4;
  while (off < disk.length) {
    if (off + 4 > disk.length) throw new ImageFormatError(`ext: inode ${ino}: truncated ACL entry`);
    const tag = disk.readUInt16LE(off);
    const e = Buffer.alloc(8);
    e.writeUInt16LE(tag, 0);
    e.writeUInt16LE(disk.readUInt16LE(off + 2), 2);
    if (SHORT_TAGS.has(tag)) {
      e.writeUInt32LE(ACL_UNDEFINED_ID, 4);
      off += 4;
    } else if (tag === ACL_USER || tag === ACL_GROUP) {
      if (off + 8 > disk.length) throw new ImageFormatError(`ext: inode ${ino}: truncated ACL entry`);
      e.writeUInt32LE(disk.readUInt32LE(off + 4), 4);
      off += 8;
    } else {
      throw new ImageFormatError(`ext: inode ${ino}: ACL entry tag 0x${tag.toString(16)} is unknown`);
    }
    out.push(e);
  }
  return Buffer.concat(out);
}

/**
 * Parses an entry list. `entries` is where the list starts, `values` the base of e_value_offs: the first entry for
 * the in-inode area, the block start for an xattr block (fs/ext4/xattr.c).
 */
function parseEntries(
  vol: ExtVolume,
  ino: number,
  area: Buffer,
  entries: number,
  values: number,
  out: Map<string, Buffer>,
): void {
  let off = entries;
  while (off + 4 <= area.length && area.readUInt32LE(off) !== 0) {
    if (off + ENTRY_HEADER > area.length)
      throw new ImageFormatError(`ext: inode ${ino}: xattr entry overruns its area`);
    const nameLen = area[off]!;
    const index = area[off + 1]!;
    const valueOffs = area.readUInt16LE(off + 2);
    const valueInum = area.readUInt32LE(off + 4);
    const valueSize = area.readUInt32LE(off + 8);
    const next = off + ((ENTRY_HEADER + nameLen + 3) & ~3);
    if (off + ENTRY_HEADER + nameLen > area.length)
      throw new ImageFormatError(`ext: inode ${ino}: xattr name overruns its area`);
    if (valueSize > vol.limits.maxXattrBytes)
      throw new ImageFormatError(
        `ext: inode ${ino}: xattr value of ${valueSize} bytes exceeds ${vol.limits.maxXattrBytes}`,
      );
    const name = area.subarray(off + ENTRY_HEADER, off + ENTRY_HEADER + nameLen).toString('utf8');
    let value: Buffer;
    if (valueInum !== 0) {
      value = eaInodeValue(vol, ino, valueInum, valueSize);
    } else {
      const start = values + valueOffs;
      if (start + valueSize > area.length)
        throw new ImageFormatError(`ext: inode ${ino}: xattr value overruns its area`);
      value = Buffer.from(area.subarray(start, start + valueSize));
    }
    const prefix = PREFIXES[index];
    if (prefix !== undefined) {
      out.set(prefix + name, index === 2 || index === 3 ? ext4AclToXattr(value, ino) : value);
    }
    off = next;
  }
}

/** A value too large for a block lives in its own inode (the ea_inode feature). */
function eaInodeValue(vol: ExtVolume, ino: number, valueInum: number, size: number): Buffer {
  if (!hasIncompat(vol.sb, 'ea_inode'))
    throw new ImageFormatError(
      `ext: inode ${ino}: xattr value in inode ${valueInum} without the ea_inode feature`,
    );
  const ea = parseInode(vol.sb, valueInum, vol.rawInode(valueInum));
  if ((ea.flags & FL_EA_INODE) === 0 || ea.type !== 'file' || ea.size !== size)
    throw new ImageFormatError(
      `ext: inode ${ino}: xattr value inode ${valueInum} is not a ${size}-byte EA inode`,
    );
  return readData(vol, ea, size);
}

/**
 * The inode's xattrs by full name, or undefined when it has none. Names come from the image, so they are collected
 * in a Map and turned into own properties only at the end: a name like "__proto__" stays data.
 */
export function readXattrs(
  vol: ExtVolume,
  node: ExtInode,
  blockCache: Map<number, Map<string, Buffer>>,
): Record<string, Buffer> | undefined {
  const out = new Map<string, Buffer>();
  const area = node.inlineXattrArea;
  if (area.length >= 4 && area.readUInt32LE(0) === XATTR_MAGIC) parseEntries(vol, node.ino, area, 4, 4, out);
  if (node.xattrBlock !== 0) {
    // Blocks are shared between inodes with identical xattrs (h_refcount): parse each once.
    let fromBlock = blockCache.get(node.xattrBlock);
    if (!fromBlock) {
      const blk = vol.readBlock(node.xattrBlock, `inode ${node.ino} xattr block`);
      if (blk.readUInt32LE(0) !== XATTR_MAGIC)
        throw new ImageFormatError(
          `ext: inode ${node.ino}: xattr block ${node.xattrBlock} has no xattr magic`,
        );
      if (blk.readUInt32LE(8) !== 1)
        throw new ImageFormatError(
          `ext: inode ${node.ino}: xattr block ${node.xattrBlock} claims ${blk.readUInt32LE(8)} blocks`,
        );
      fromBlock = new Map();
      parseEntries(vol, node.ino, blk, BLOCK_HEADER, 0, fromBlock);
      if (blockCache.size >= 256) blockCache.clear();
      blockCache.set(node.xattrBlock, fromBlock);
    }
    for (const [k, v] of fromBlock) if (!out.has(k)) out.set(k, v);
  }
  return out.size > 0 ? Object.fromEntries(out) : undefined;
}
