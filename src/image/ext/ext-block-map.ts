// Maps an inode's logical blocks to disk blocks: ext4 extent trees and ext2/3 indirect blocks, every pointer checked.
import { ImageFormatError } from '../image-entry.js';
import { FL_EXTENTS, type ExtInode } from './ext-inode.js';
import type { ExtVolume } from './ext-volume.js';

export interface BlockRun {
  logical: number;
  physical: number;
  count: number;
  /** An unwritten (preallocated) extent: reads as zeros. */
  unwritten: boolean;
}

const EXTENT_MAGIC = 0xf30a;
const MAX_EXTENT_DEPTH = 5; // EXT4_MAX_EXTENT_DEPTH (fs/ext4/ext4_extents.h)
const UNWRITTEN_LEN = 32768; // ee_len above this marks an unwritten extent (EXT_INIT_MAX_LEN)

function bad(ino: number, msg: string): never {
  throw new ImageFormatError(`ext: inode ${ino}: ${msg}`);
}

/**
 * The runs that cover logical blocks [0, end), in logical order; holes are skipped. Work is bounded by `end`: every
 * extent must start at or after the end of the one before (so a loop in the tree fails), and every indirect pointer
 * read advances the logical block.
 */
export function* blockRuns(vol: ExtVolume, node: ExtInode, end: number): Generator<BlockRun> {
  if (end <= 0) return;
  if ((node.flags & FL_EXTENTS) !== 0)
    yield* extentNode(vol, node.ino, node.iBlock, -1, end, { next: 0, done: false });
  else yield* indirectRuns(vol, node, end);
}

interface WalkState {
  next: number;
  done: boolean;
}

function* extentNode(
  vol: ExtVolume,
  ino: number,
  buf: Buffer,
  expectDepth: number,
  end: number,
  st: WalkState,
): Generator<BlockRun> {
  if (buf.readUInt16LE(0) !== EXTENT_MAGIC) bad(ino, 'extent header magic is not 0xf30a');
  const entries = buf.readUInt16LE(2);
  const max = buf.readUInt16LE(4);
  const depth = buf.readUInt16LE(6);
  const capacity = Math.floor((buf.length - 12) / 12);
  if (entries > max || max > capacity)
    bad(ino, `extent node has ${entries} of ${max} entries, room for ${capacity}`);
  if (depth > MAX_EXTENT_DEPTH) bad(ino, `extent tree depth ${depth} exceeds ${MAX_EXTENT_DEPTH}`);
  if (expectDepth >= 0 && depth !== expectDepth)
    bad(ino, `extent node depth ${depth} where ${expectDepth} belongs`);
  if (expectDepth >= 0 && entries === 0) bad(ino, 'empty extent node below the root');
  let lastIndex = -1;
  for (let i = 0; i < entries && !st.done; i++) {
    const e = 12 + 12 * i;
    const logical = buf.readUInt32LE(e);
    if (logical < st.next || logical <= lastIndex)
      bad(ino, `extents overlap or are out of order at block ${logical}`);
    if (logical >= end) {
      st.done = true;
      return;
    }
    if (depth === 0) {
      const raw = buf.readUInt16LE(e + 4);
      const unwritten = raw > UNWRITTEN_LEN;
      const len = unwritten ? raw - UNWRITTEN_LEN : raw;
      const physical = buf.readUInt32LE(e + 8) + buf.readUInt16LE(e + 6) * 2 ** 32;
      if (len === 0) bad(ino, `zero-length extent at block ${logical}`);
      if (!vol.validBlock(physical, len))
        bad(ino, `extent ${physical}+${len} lies outside the file system (${vol.sb.blocksCount} blocks)`);
      st.next = logical + len;
      yield { logical, physical, count: Math.min(len, end - logical), unwritten };
    } else {
      lastIndex = logical;
      const leaf = buf.readUInt32LE(e + 4) + buf.readUInt16LE(e + 8) * 2 ** 32;
      const before = st.next;
      yield* extentNode(vol, ino, vol.readBlock(leaf, `inode ${ino} extent index`), depth - 1, end, st);
      // Every subtree must add at least one extent; otherwise repeated pointers could cost without advancing.
      if (!st.done && st.next === before) bad(ino, `extent index at block ${logical} adds no extents`);
    }
  }
}

function* indirectRuns(vol: ExtVolume, node: ExtInode, end: number): Generator<BlockRun> {
  for (let i = 0; i < 12 && i < end; i++) {
    const p = node.iBlock.readUInt32LE(4 * i);
    if (p !== 0) yield direct(vol, node.ino, p, i);
  }
  const perBlock = vol.sb.blockSize / 4;
  let base = 12;
  for (let level = 1; level <= 3 && base < end; level++) {
    const p = node.iBlock.readUInt32LE(4 * (11 + level));
    if (p !== 0) yield* indirect(vol, node.ino, p, level, base, end);
    base += perBlock ** level;
  }
}

function direct(vol: ExtVolume, ino: number, p: number, logical: number): BlockRun {
  if (!vol.validBlock(p)) bad(ino, `block ${logical} points to ${p}, outside the file system`);
  return { logical, physical: p, count: 1, unwritten: false };
}

function* indirect(
  vol: ExtVolume,
  ino: number,
  block: number,
  level: number,
  base: number,
  end: number,
): Generator<BlockRun> {
  const buf = vol.readBlock(block, `inode ${ino} indirect block`);
  const perBlock = buf.length / 4;
  const span = perBlock ** (level - 1);
  for (let i = 0; i < perBlock; i++) {
    const logical = base + i * span;
    if (logical >= end) return;
    const p = buf.readUInt32LE(4 * i);
    if (p === 0) continue;
    if (level === 1) yield direct(vol, ino, p, logical);
    else yield* indirect(vol, ino, p, level - 1, logical, end);
  }
}

/** The first `size` bytes of an inode's data (slow symlink targets, EA inode values); holes read as zeros. */
export function readData(vol: ExtVolume, node: ExtInode, size: number): Buffer {
  const bs = vol.sb.blockSize;
  const out = Buffer.alloc(size);
  for (const run of blockRuns(vol, node, Math.ceil(size / bs))) {
    if (run.unwritten) continue;
    for (let k = 0; k < run.count; k++) {
      const at = (run.logical + k) * bs;
      vol.readBlock(run.physical + k, `inode ${node.ino} data`).copy(out, at, 0, Math.min(bs, size - at));
    }
  }
  return out;
}
