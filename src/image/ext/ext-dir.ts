// The records of an ext directory, block by block: linear and htree directories alike, checked as the kernel does.
import { ImageFormatError } from '../image-entry.js';
import { blockRuns } from './ext-block-map.js';
import type { ExtInode } from './ext-inode.js';
import { hasIncompat } from './ext-superblock.js';
import type { ExtVolume } from './ext-volume.js';

export interface DirEntry {
  ino: number;
  name: string;
}

const MIN_REC_LEN = 12; // EXT4_DIR_REC_LEN(1)

/**
 * Yields (inode, name) for every live record of `dir`, "." and ".." included. Htree directories need no special case:
 * their index blocks look like one empty record spanning the block (Documentation/filesystems/ext4/directory.rst),
 * and the leaves are ordinary linear blocks. `seen` holds every directory block read so far: a block that two
 * directories (or one directory twice) claim is corruption, and would otherwise list the same names again.
 */
export function* dirEntries(vol: ExtVolume, dir: ExtInode, seen: Set<number>): Generator<DirEntry> {
  const sb = vol.sb;
  const bs = sb.blockSize;
  const blocks = Math.ceil(dir.size / bs);
  if (blocks > sb.blocksCount)
    throw new ImageFormatError(
      `ext: directory inode ${dir.ino} claims ${dir.size} bytes, more than the file system`,
    );
  const wideNames = !hasIncompat(sb, 'filetype'); // without filetype, name_len is 16 bits (ext2 revision 0)
  for (const run of blockRuns(vol, dir, blocks)) {
    if (run.unwritten) continue;
    for (let k = 0; k < run.count; k++) {
      const physical = run.physical + k;
      if (seen.has(physical))
        throw new ImageFormatError(
          `ext: directory inode ${dir.ino} reuses block ${physical}, already read as a directory block`,
        );
      seen.add(physical);
      const buf = vol.readBlock(physical, `directory inode ${dir.ino}`);
      let off = 0;
      while (off < bs) {
        const where = `ext: directory inode ${dir.ino}, block ${run.logical + k}, offset ${off}`;
        if (off + 8 > bs) throw new ImageFormatError(`${where}: record header overruns the block`);
        const ino = buf.readUInt32LE(off);
        const raw = buf.readUInt16LE(off + 4);
        const recLen = bs === 65536 && (raw === 65535 || raw === 0) ? 65536 : raw;
        const nameLen = wideNames ? buf.readUInt16LE(off + 6) : buf[off + 6]!;
        // fs/ext4/dir.c __ext4_check_dir_entry, in its order.
        if (recLen < MIN_REC_LEN) throw new ImageFormatError(`${where}: record length ${recLen} is below 12`);
        if (recLen % 4 !== 0)
          throw new ImageFormatError(`${where}: record length ${recLen} is not a multiple of 4`);
        if (off + recLen > bs)
          throw new ImageFormatError(`${where}: record of ${recLen} bytes overruns the block`);
        if (ino !== 0) {
          if (8 + nameLen > recLen)
            throw new ImageFormatError(`${where}: name of ${nameLen} bytes overruns its record`);
          if (ino > sb.inodesCount)
            throw new ImageFormatError(`${where}: inode ${ino} is beyond ${sb.inodesCount}`);
          if (nameLen === 0) throw new ImageFormatError(`${where}: empty name`);
          const name = buf.subarray(off + 8, off + 8 + nameLen);
          if (name.includes(0x2f) || name.includes(0))
            throw new ImageFormatError(`${where}: name contains "/" or NUL`);
          yield { ino, name: name.toString('utf8') };
        }
        off += recLen;
      }
    }
  }
}
