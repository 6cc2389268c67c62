// The uid/gid table: u32 ids in metadata blocks, located by an uncompressed list of u64 block positions
// (squashfs_fs.h SQUASHFS_ID_BLOCK_*); inodes store 16-bit indices into it.
import { ImageFormatError } from '../image-entry.js';
import type { ImageFile } from './image-file.js';
import type { MetadataReader } from './metadata.js';
import { METADATA_SIZE, type Superblock } from './superblock.js';

export function readIdTable(img: ImageFile, reader: MetadataReader, sb: Superblock): Uint32Array {
  const ids = new Uint32Array(sb.idCount);
  const blocks = Math.ceil((sb.idCount * 4) / METADATA_SIZE);
  const index = Buffer.from(img.read(sb.idTableStart, blocks * 8, 'the id table index'));
  for (let i = 0; i < blocks; i++) {
    const pos = index.readUInt32LE(i * 8 + 4) * 2 ** 32 + index.readUInt32LE(i * 8);
    if (pos < sb.directoryTableStart || pos >= sb.idTableStart) {
      throw new ImageFormatError(`squashfs id table: block ${i} at ${pos} is outside the table`);
    }
    const { data } = reader.block(pos, sb.idTableStart, 'id table');
    const first = (i * METADATA_SIZE) / 4;
    const n = Math.min(METADATA_SIZE / 4, sb.idCount - first);
    if (data.length < n * 4)
      throw new ImageFormatError(
        `squashfs id table: block ${i} holds ${data.length} bytes, ${n * 4} expected`,
      );
    for (let k = 0; k < n; k++) ids[first + k] = data.readUInt32LE(k * 4);
  }
  return ids;
}

/** The first block position a table's u64 index lists: where that table's metadata begins. */
export function firstTableBlock(img: ImageFile, indexAt: number, what: string): number {
  const b = img.read(indexAt, 8, what);
  return b.readUInt32LE(4) * 2 ** 32 + b.readUInt32LE(0);
}
