// Lists a squashfs 4.0 image without mounting or extracting it: a depth-first walk of the directory table from
// the root inode, yielding one ImageEntry per directory entry (squashfs-tools-ng doc/format.adoc, "Directory table").
import {
  DEFAULT_LIMITS,
  ImageFormatError,
  normalizeImagePath,
  type ImageEntry,
  type ReadLimits,
} from '../image-entry.js';
import { firstTableBlock, readIdTable } from './id-table.js';
import { ImageFile } from './image-file.js';
import { DIR, deviceNumbers, newInode, NO_XATTR, readInode, type Inode } from './inode.js';
import { MetaCursor, MetadataReader, u16, u32, utf8 } from './metadata.js';
import { infoOf, readSuperblock, type SquashfsInfo, type Superblock } from './superblock.js';
import { XattrTable } from './xattr-table.js';

export type { SquashfsInfo } from './superblock.js';

export interface SquashfsReadOptions {
  /** Where the image starts in the file (SIF partitions); table offsets are relative to it. */
  offset?: number;
  /** Image bytes from `offset` (default: to the end of the file). */
  length?: number;
  limits?: ReadLimits;
}

/** Entries per directory header at most (squashfs_fs.h SQUASHFS_DIR_COUNT). */
const DIR_COUNT = 256;
const DIR_HEADER = 12;
const DIR_ENTRY = 8;

/** One directory being listed: its own cursor into the directory table keeps the walk streaming. */
interface Frame {
  cur: MetaCursor;
  /** Listing bytes not yet read. */
  left: number;
  /** Entries left under the current header, and the inode table block that header names for them. */
  count: number;
  inodeBlock: number;
  path: string;
  /** The path as stored, when a name in it is ".", "..", or holds "/" or NUL (crafted images only). */
  rawPath: string | null;
  pathBytes: number;
  depth: number;
}

export function squashfsInfo(file: string, opts: SquashfsReadOptions = {}): SquashfsInfo {
  const img = ImageFile.open(file, opts.offset, opts.length);
  try {
    return infoOf(readSuperblock(img, opts.limits ?? DEFAULT_LIMITS));
  } finally {
    img.close();
  }
}

/**
 * Every entry of the image, the root ("/") first, each directory before its contents, names in stored (sorted)
 * order: the order `unsquashfs -lln` lists. Memory stays bounded: one cursor per open directory level plus a
 * bounded cache of decoded metadata blocks.
 */
export function* readSquashfsEntries(file: string, opts: SquashfsReadOptions = {}): Generator<ImageEntry> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const deadlineAt = Date.now() + limits.deadlineMs;
  const img = ImageFile.open(file, opts.offset, opts.length);
  try {
    const sb = readSuperblock(img, limits);
    const reader = new MetadataReader(img, sb.compressor, limits, deadlineAt);
    const ids = readIdTable(img, reader, sb);
    const xattrs = XattrTable.open(img, reader, sb, limits);
    const dirEnd = directoryTableEnd(img, sb, xattrs);
    const inodes = new MetaCursor(reader, sb.inodeTableStart, sb.directoryTableStart, 'inode table');
    // One Inode decoded into again and again: each entry copies what it needs before the next read.
    const inode = newInode();

    const rootBlock = Math.floor(sb.rootInodeRef / 65536);
    readInode(inodes, rootBlock, sb.rootInodeRef % 65536, sb.inodeCount, limits, inode);
    if (inode.basicType !== DIR) throw new ImageFormatError('squashfs root inode is not a directory');
    yield entryOf(inode, '/', null, ids, xattrs);
    let entries = 1;
    const visited = new Set<number>([sb.rootInodeRef]);
    const stack: Frame[] = [];
    const open = (path: string, rawPath: string | null, pathBytes: number, depth: number): void => {
      if (inode.dirBytes === 0) return;
      const cur = new MetaCursor(reader, sb.directoryTableStart, dirEnd, 'directory table');
      cur.seek(inode.dirBlock, inode.dirOffset);
      stack.push({ cur, left: inode.dirBytes, count: 0, inodeBlock: 0, path, rawPath, pathBytes, depth });
    };
    open('/', null, 0, 0);

    while (stack.length > 0) {
      const f = stack[stack.length - 1]!;
      if (f.left === 0) {
        if (f.count !== 0)
          throw new ImageFormatError(`squashfs directory ${f.path}: listing ends ${f.count} entries early`);
        stack.pop();
        continue;
      }
      const cur = f.cur;
      if (f.count === 0) {
        // Header: u32 count - 1, u32 inode table block of the entries, i32 inode number base.
        if (f.left < DIR_HEADER)
          throw new ImageFormatError(`squashfs directory ${f.path}: listing ends inside a header`);
        const at = cur.take(DIR_HEADER);
        const count = u32(cur.buf, at) + 1;
        if (count > DIR_COUNT)
          throw new ImageFormatError(`squashfs directory ${f.path}: header claims ${count} entries`);
        f.count = count;
        f.inodeBlock = u32(cur.buf, at + 4);
        f.left -= DIR_HEADER;
        continue;
      }
      // Entry: u16 offset in that inode block, i16 inode number delta, u16 basic type, u16 name size - 1, name.
      if (f.left < DIR_ENTRY)
        throw new ImageFormatError(`squashfs directory ${f.path}: listing ends inside an entry`);
      let at = cur.take(DIR_ENTRY);
      const offset = u16(cur.buf, at);
      const type = u16(cur.buf, at + 4);
      const nameLen = u16(cur.buf, at + 6) + 1;
      f.left -= DIR_ENTRY + nameLen;
      if (f.left < 0)
        throw new ImageFormatError(`squashfs directory ${f.path}: an entry runs past the listing`);
      if (nameLen > 256) throw new ImageFormatError(`squashfs directory ${f.path}: name of ${nameLen} bytes`);
      at = cur.take(nameLen);
      const name = utf8(cur.buf, at, at + nameLen);
      f.count--;

      if (++entries > limits.maxEntries) {
        throw new ImageFormatError(`squashfs image has more than ${limits.maxEntries} entries`);
      }
      if ((entries & 1023) === 0 && Date.now() > deadlineAt) {
        throw new ImageFormatError(`squashfs image took longer than ${limits.deadlineMs} ms to read`);
      }
      const pathBytes = f.pathBytes + 1 + nameLen;
      if (pathBytes > limits.maxPathBytes) {
        throw new ImageFormatError(
          `squashfs path ${f.path}/${name.slice(0, 40)}... exceeds ${limits.maxPathBytes} bytes`,
        );
      }
      const parent = f.rawPath ?? f.path;
      const joined = parent === '/' ? '/' + name : parent + '/' + name;
      const odd =
        f.rawPath !== null || name === '.' || name === '..' || name.includes('/') || name.includes('\0');
      const path = odd ? normalizeImagePath(joined) : joined;
      const rawPath = odd ? joined : null;

      readInode(inodes, f.inodeBlock, offset, sb.inodeCount, limits, inode);
      if (inode.basicType !== type) {
        throw new ImageFormatError(
          `squashfs ${path}: directory entry type ${type} does not match inode type ${inode.basicType}`,
        );
      }
      yield entryOf(inode, path, rawPath, ids, xattrs);
      if (inode.basicType === DIR) {
        // Directories form a tree: an inode met twice is a loop (or a shared subtree that would multiply).
        const ref = f.inodeBlock * 65536 + offset;
        if (visited.has(ref))
          throw new ImageFormatError(`squashfs directory ${path} is reached twice (a directory loop)`);
        visited.add(ref);
        if (f.depth + 1 > limits.maxDepth)
          throw new ImageFormatError(`squashfs directories nest deeper than ${limits.maxDepth}`);
        open(path, rawPath, pathBytes, f.depth + 1);
      }
    }
  } finally {
    img.close();
  }
}

function entryOf(
  inode: Inode,
  path: string,
  rawPath: string | null,
  ids: Uint32Array,
  xattrs: XattrTable | null,
): ImageEntry {
  const uid = ids[inode.uidIdx];
  const gid = ids[inode.gidIdx];
  if (uid === undefined || gid === undefined) {
    const idx = Math.max(inode.uidIdx, inode.gidIdx);
    throw new ImageFormatError(
      `squashfs ${path}: uid/gid index ${idx} is outside the ${ids.length}-entry id table`,
    );
  }
  const e: ImageEntry = { path, type: inode.type, mode: inode.mode, uid, gid, size: inode.size };
  if (rawPath !== null) e.rawName = rawPath;
  if (inode.target !== null) e.linkTarget = inode.target;
  if (inode.type === 'block' || inode.type === 'char') {
    const { major, minor } = deviceNumbers(inode.rdev);
    e.devMajor = major;
    e.devMinor = minor;
  }
  if (inode.xattr !== NO_XATTR) {
    if (!xattrs) throw new ImageFormatError(`squashfs ${path}: has xattrs but the image has no xattr table`);
    e.xattrs = xattrs.get(inode.xattr);
  }
  // A directory's nlink counts its subdirectories, not hard links to it.
  if (inode.type !== 'dir' && inode.nlink > 1) {
    e.nlink = inode.nlink;
    e.inode = inode.inodeNumber;
  }
  return e;
}

/**
 * The directory table ends where the next table's metadata begins: the fragment, export or id table's first
 * block, or the xattr key/value data (on-disk order: inodes, directories, fragments, export, ids, xattrs).
 */
function directoryTableEnd(img: ImageFile, sb: Superblock, xattrs: XattrTable | null): number {
  const dirStart = sb.directoryTableStart;
  const candidates = [
    sb.bytesUsed,
    sb.idTableStart,
    firstTableBlock(img, sb.idTableStart, 'the id table index'),
  ];
  if (sb.fragmentTableStart !== null) {
    candidates.push(sb.fragmentTableStart);
    if (sb.fragmentCount > 0)
      candidates.push(firstTableBlock(img, sb.fragmentTableStart, 'the fragment table index'));
  }
  if (sb.exportTableStart !== null) {
    candidates.push(sb.exportTableStart, firstTableBlock(img, sb.exportTableStart, 'the export table index'));
  }
  if (sb.xattrIdTableStart !== null) candidates.push(sb.xattrIdTableStart);
  if (xattrs) candidates.push(xattrs.kvStart);
  return Math.min(...candidates.filter((c) => c >= dirStart));
}
