// Lists an ext2/3/4 image (or one inside a SIF) without mounting it: a bounded, loop-safe walk from the root inode.
import * as fs from 'node:fs';
import { DEFAULT_LIMITS, ImageFormatError, type ImageEntry, type ReadLimits } from '../image-entry.js';
import { readData } from './ext-block-map.js';
import { dirEntries, type DirEntry } from './ext-dir.js';
import { deviceNumbers, FL_EXTENTS, isFastSymlink, parseInode, type ExtInode } from './ext-inode.js';
import { ExtVolume } from './ext-volume.js';
import { readXattrs } from './ext-xattr.js';

const ROOT_INO = 2; // EXT2_ROOT_INO
const MAX_SYMLINK = 4096; // PATH_MAX: the kernel never writes a longer target

export interface ReadExtOptions {
  /** Where the file system starts in the file (a SIF partition's offset); 0 by default. */
  offset?: number;
  /** Its length; the rest of the file by default. */
  length?: number;
  limits?: ReadLimits;
}

interface Frame {
  entries: Generator<DirEntry>;
  path: string;
  ino: number;
}

/** A path quoted for a one-line message: names may hold newlines and other control characters. */
function show(p: string): string {
  return JSON.stringify(p.length > 200 ? `${p.slice(0, 200)}...` : p);
}

function symlinkTarget(vol: ExtVolume, node: ExtInode): string {
  if (node.size > MAX_SYMLINK || node.size > vol.sb.blockSize)
    throw new ImageFormatError(`ext: symlink inode ${node.ino} claims a ${node.size}-byte target`);
  if (isFastSymlink(vol.sb, node)) return node.iBlock.subarray(0, node.size).toString('utf8');
  if ((node.flags & FL_EXTENTS) === 0 && node.iBlock.readUInt32LE(0) === 0)
    throw new ImageFormatError(`ext: symlink inode ${node.ino} has blocks but no block pointer`);
  return readData(vol, node, node.size).toString('utf8');
}

function toEntry(
  vol: ExtVolume,
  path: string,
  node: ExtInode,
  xattrCache: Map<number, Map<string, Buffer>>,
): ImageEntry {
  const e: ImageEntry = {
    path,
    type: node.type,
    mode: node.perm,
    uid: node.uid,
    gid: node.gid,
    size: node.type === 'file' ? node.size : 0,
    nlink: node.links,
    inode: node.ino,
  };
  if (node.type === 'symlink') e.linkTarget = symlinkTarget(vol, node);
  if (node.type === 'char' || node.type === 'block') {
    const d = deviceNumbers(node);
    e.devMajor = d.major;
    e.devMinor = d.minor;
  }
  const xattrs = readXattrs(vol, node, xattrCache);
  if (xattrs) e.xattrs = xattrs;
  return e;
}

/**
 * Yields every entry of the file system, the root ("/") first, each directory before its contents, in on-disk order.
 * Memory stays bounded: one block per open directory level, a 64-block cache, and sets of directory inodes and
 * blocks that never outgrow the entry and metadata limits. A directory reached twice (a loop, or a hard-linked
 * directory, which ext never creates) ends the walk with an ImageFormatError, as does every other inconsistency.
 */
export function* readExtEntries(file: string, opts: ReadExtOptions = {}): Generator<ImageEntry> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const fd = fs.openSync(file, 'r');
  try {
    const fileSize = fs.fstatSync(fd).size;
    const offset = opts.offset ?? 0;
    const length = opts.length ?? fileSize - offset;
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > fileSize
    )
      throw new ImageFormatError(`ext: range ${offset}+${length} lies outside the ${fileSize}-byte file`);
    const vol = new ExtVolume(fd, offset, length, limits);
    const xattrCache = new Map<number, Map<string, Buffer>>();
    const dirBlocks = new Set<number>();
    const visitedDirs = new Set<number>([ROOT_INO]);
    const onPath = new Set<number>([ROOT_INO]);

    const root = parseInode(vol.sb, ROOT_INO, vol.rawInode(ROOT_INO));
    if (root.type !== 'dir')
      throw new ImageFormatError(`ext: the root inode is a ${root.type}, not a directory`);
    yield toEntry(vol, '/', root, xattrCache);
    let count = 1;
    const stack: Frame[] = [{ entries: dirEntries(vol, root, dirBlocks), path: '', ino: ROOT_INO }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const next = top.entries.next();
      if (next.done) {
        stack.pop();
        onPath.delete(top.ino);
        continue;
      }
      const { ino, name } = next.value;
      if (name === '.' || name === '..') continue;
      const path = `${top.path}/${name}`;
      if (Buffer.byteLength(path) > limits.maxPathBytes)
        throw new ImageFormatError(
          `ext: path longer than ${limits.maxPathBytes} bytes under ${show(top.path || '/')}`,
        );
      if (++count > limits.maxEntries)
        throw new ImageFormatError(`ext: more than ${limits.maxEntries} entries`);
      vol.checkDeadline();
      const node = parseInode(vol.sb, ino, vol.rawInode(ino));
      if (node.type === 'dir') {
        if (onPath.has(ino))
          throw new ImageFormatError(
            `ext: directory loop: ${show(path)} is inode ${ino}, one of its own ancestors`,
          );
        if (visitedDirs.has(ino))
          throw new ImageFormatError(`ext: directory inode ${ino} is reached twice (again at ${show(path)})`);
        if (stack.length >= limits.maxDepth)
          throw new ImageFormatError(
            `ext: directories nested deeper than ${limits.maxDepth} levels at ${show(path)}`,
          );
      }
      yield toEntry(vol, path, node, xattrCache);
      if (node.type === 'dir') {
        visitedDirs.add(ino);
        onPath.add(ino);
        stack.push({ entries: dirEntries(vol, node, dirBlocks), path, ino });
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}
