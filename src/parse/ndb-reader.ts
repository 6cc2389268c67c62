// Reads rpm's "ndb" package database (Packages.db, SUSE and openSUSE), read-only and bounded.
//
// Layout as rpm's lib/backend/ndb/rpmpkg.c writes it, all little-endian: a 32-byte header ("RpmP", version 0,
// generation, slot pages, next package index), then 16-byte slots ("Slot", package index, block offset, block
// count) filling `slot pages` 4096-byte pages; each package is a blob at block offset x 16: "BlbS", package
// index, generation, length, the header blob, zero padding, and a 12-byte tail (adler32 of everything before
// it, length, "BlbE") ending its last block.
import { DatabaseFormatError, type RandomAccess } from './random-access.js';

const MAGIC = 0x506d7052; // "RpmP"
const SLOT = 0x746f6c53; // "Slot"
const BLOB_HEAD = 0x53626c42; // "BlbS"
const BLOB_TAIL = 0x45626c42; // "BlbE"
const PAGE = 4096;
const BLK = 16;

export interface NdbBlob {
  pkgidx: number;
  /** Reads `length` bytes of the header blob from `offset` (a reader takes only what it needs). */
  read(offset: number, length: number): Buffer;
  length: number;
}

export function* ndbBlobs(file: RandomAccess, maxPackages: number): Generator<NdbBlob> {
  if (file.size < 32) throw new DatabaseFormatError('shorter than an ndb header');
  const h = file.read(0, 32);
  if (h.readUInt32LE(0) !== MAGIC) throw new DatabaseFormatError('not an rpm ndb Packages.db');
  if (h.readUInt32LE(4) !== 0) throw new DatabaseFormatError(`ndb version ${h.readUInt32LE(4)} is not 0`);
  const slotPages = h.readUInt32LE(12);
  if (slotPages === 0 || slotPages * PAGE > file.size)
    throw new DatabaseFormatError('the slot pages run past the file');
  let count = 0;
  const fileBlocks = Math.floor(file.size / BLK);
  const minBlock = (slotPages * PAGE) / BLK;
  for (let page = 0; page < slotPages; page++) {
    const p = file.read(page * PAGE, PAGE);
    for (let o = page === 0 ? 32 : 0; o < PAGE; o += 16) {
      if (p.readUInt32LE(o) !== SLOT) throw new DatabaseFormatError('a slot lacks its magic');
      const pkgidx = p.readUInt32LE(o + 4);
      const blkoff = p.readUInt32LE(o + 8);
      const blkcnt = p.readUInt32LE(o + 12);
      if (blkoff === 0) continue; // a free slot
      if (pkgidx === 0 || blkcnt < 2 || blkoff < minBlock || blkoff + blkcnt > fileBlocks)
        throw new DatabaseFormatError(`slot of package ${pkgidx} points outside the file`);
      if (++count > maxPackages) throw new DatabaseFormatError(`more than ${maxPackages} packages`);
      const at = blkoff * BLK;
      const head = file.read(at, 16);
      if (head.readUInt32LE(0) !== BLOB_HEAD || head.readUInt32LE(4) !== pkgidx)
        throw new DatabaseFormatError(`the blob of package ${pkgidx} lacks its head`);
      const length = head.readUInt32LE(12);
      if (Math.ceil((16 + length + 12) / BLK) !== blkcnt)
        throw new DatabaseFormatError(`the blob of package ${pkgidx} has the wrong length`);
      const tail = file.read(at + blkcnt * BLK - 12, 12);
      if (tail.readUInt32LE(4) !== length || tail.readUInt32LE(8) !== BLOB_TAIL)
        throw new DatabaseFormatError(`the blob of package ${pkgidx} lacks its tail`);
      yield {
        pkgidx,
        length,
        read(offset, len) {
          if (offset < 0 || len < 0 || offset + len > length)
            throw new DatabaseFormatError('a read runs past the blob');
          return file.read(at + 16 + offset, len);
        },
      };
    }
  }
}
