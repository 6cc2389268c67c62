// A minimal read-only Berkeley DB reader for hash and btree files (RPM's Packages and Name before rpm 4.16).
//
// Layouts as Berkeley DB 4.x/5.x write them (dbinc/db_page.h): a 72-byte generic meta header (magic at 12,
// version 16, page size 20, encryption 24, last page 32), hash meta fields from 72 (max_bucket, high_mask,
// low_mask, ..., spares[32] from 96), btree root at 88; 26-byte page headers (page number 8, next page 16,
// entries 20, high free offset 22, type 25) followed by 16-bit item offsets. Files are in the byte order of the
// machine that wrote them; the magic tells which. rpm's own read-only backend (lib/backend/bdb_ro.cc) reads
// the same subset.
import { DatabaseFormatError, type RandomAccess } from './random-access.js';

const HASH_MAGIC = 0x061561;
const BTREE_MAGIC = 0x053162;
const P_HASH_UNSORTED = 2;
const P_IBTREE = 3;
const P_LBTREE = 5;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const B_KEYDATA = 1;
const B_OVERFLOW = 3;
const MAX_CHAIN = 1_000_000;
/** An empty hash page: no entries, no next page. */
const EMPTY_HASH_PAGE = (size: number) => {
  const p = Buffer.alloc(size);
  p[25] = P_HASH;
  return p;
};

export class BdbReader {
  readonly type: 'hash' | 'btree';
  private readonly le: boolean;
  private readonly pageSize: number;
  private readonly lastPage: number;
  private readonly maxBucket: number = 0;
  private readonly highMask: number = 0;
  private readonly lowMask: number = 0;
  private readonly spares: number[] = [];
  private readonly root: number = 0;

  constructor(private readonly file: RandomAccess) {
    if (file.size < 512) throw new DatabaseFormatError('shorter than a Berkeley DB meta page');
    const m = file.read(0, 512);
    const le = m.readUInt32LE(12);
    const be = m.readUInt32BE(12);
    if (le === HASH_MAGIC || le === BTREE_MAGIC) this.le = true;
    else if (be === HASH_MAGIC || be === BTREE_MAGIC) this.le = false;
    else throw new DatabaseFormatError('not a Berkeley DB hash or btree file');
    const u32 = (at: number) => (this.le ? m.readUInt32LE(at) : m.readUInt32BE(at));
    this.type = u32(12) === HASH_MAGIC ? 'hash' : 'btree';
    if (m[24] !== 0) throw new DatabaseFormatError('the database is encrypted');
    if ((m[26]! & 1) !== 0)
      throw new DatabaseFormatError('page checksums are not supported (rpm does not write them)');
    this.pageSize = u32(20);
    if (this.pageSize < 512 || this.pageSize > 65536 || (this.pageSize & (this.pageSize - 1)) !== 0)
      throw new DatabaseFormatError(`page size ${this.pageSize} is not a power of two from 512 to 65536`);
    this.lastPage = Math.min(u32(32), Math.floor(file.size / this.pageSize) - 1);
    const version = u32(16);
    if (this.type === 'hash') {
      if (version < 8 || version > 10)
        throw new DatabaseFormatError(`hash version ${version} is not 8 to 10`);
      this.maxBucket = u32(72);
      this.highMask = u32(76);
      this.lowMask = u32(80);
      for (let i = 0; i < 32; i++) this.spares.push(u32(96 + i * 4));
    } else {
      if (version < 9 || version > 10)
        throw new DatabaseFormatError(`btree version ${version} is not 9 or 10`);
      this.root = u32(88);
    }
  }

  private u16(b: Buffer, at: number): number {
    return this.le ? b.readUInt16LE(at) : b.readUInt16BE(at);
  }
  private u32(b: Buffer, at: number): number {
    return this.le ? b.readUInt32LE(at) : b.readUInt32BE(at);
  }

  private page(n: number): Buffer {
    if (n < 1 || n > this.lastPage) throw new DatabaseFormatError(`page ${n} does not exist`);
    const p = this.file.read(n * this.pageSize, this.pageSize);
    // A hash bucket page allocated at a split point but never written is all zeros: an empty bucket.
    if (this.u32(p, 8) === 0 && p[25] === 0 && this.u16(p, 20) === 0) return EMPTY_HASH_PAGE(this.pageSize);
    if (this.u32(p, 8) !== n) throw new DatabaseFormatError(`page ${n} says it is page ${this.u32(p, 8)}`);
    return p;
  }

  /** A value stored on overflow pages: the chain's bytes, `total` in all. */
  private overflow(first: number, total: number): Buffer {
    const out = Buffer.allocUnsafe(total);
    let got = 0;
    let n = first;
    for (let hops = 0; got < total; hops++) {
      if (hops > MAX_CHAIN || n === 0) throw new DatabaseFormatError('an overflow chain ends early or loops');
      const p = this.page(n);
      if (p[25] !== P_OVERFLOW) throw new DatabaseFormatError(`page ${n} is not an overflow page`);
      const len = this.u16(p, 22);
      if (26 + len > this.pageSize || got + len > total)
        throw new DatabaseFormatError('an overflow page is too long');
      p.copy(out, got, 26, 26 + len);
      got += len;
      n = this.u32(p, 16);
    }
    return out;
  }

  /** Item `i` of a page: offset and length (items are packed downwards from the end of the page). */
  private item(p: Buffer, i: number, entries: number): { at: number; len: number } {
    if (26 + entries * 2 > this.pageSize) throw new DatabaseFormatError('item offsets run past the page');
    const at = this.u16(p, 26 + i * 2);
    const end = i === 0 ? this.pageSize : this.u16(p, 26 + (i - 1) * 2);
    if (at < 26 + entries * 2 || at >= end || end > this.pageSize)
      throw new DatabaseFormatError('an item lies outside its page');
    return { at, len: end - at };
  }

  private hashValue(p: Buffer, at: number, len: number): Buffer {
    if (p[at] === H_KEYDATA) return p.subarray(at + 1, at + len);
    if (p[at] === H_OFFPAGE && len >= 12) return this.overflow(this.u32(p, at + 4), this.u32(p, at + 8));
    throw new DatabaseFormatError(`unsupported hash item type ${p[at]}`);
  }

  /** Every pair of a hash page chain starting at page n. */
  private *hashChain(n: number): Generator<[Buffer, Buffer]> {
    for (let hops = 0; n !== 0; hops++) {
      if (hops > MAX_CHAIN) throw new DatabaseFormatError('a bucket chain loops');
      const p = this.page(n);
      if (![P_HASH, P_HASH_UNSORTED, P_HASHMETA].includes(p[25]!))
        throw new DatabaseFormatError(`page ${n} is not a hash page`);
      const entries = this.u16(p, 20);
      for (let i = 0; i + 1 < entries; i += 2) {
        const k = this.item(p, i, entries);
        const v = this.item(p, i + 1, entries);
        yield [this.hashValue(p, k.at, k.len), this.hashValue(p, v.at, v.len)];
      }
      n = this.u32(p, 16);
    }
  }

  private bucketPage(bucket: number): number {
    let bits = 0;
    for (let b = bucket; b; b >>>= 1) bits++;
    return bucket + (this.spares[bits] ?? 0);
  }

  private btreeValue(p: Buffer, at: number): Buffer {
    const kind = p[at + 2]! & 0x7f;
    if (kind === B_KEYDATA) {
      const len = this.u16(p, at);
      if (at + 3 + len > this.pageSize) throw new DatabaseFormatError('a btree item runs past its page');
      return p.subarray(at + 3, at + 3 + len);
    }
    if (kind === B_OVERFLOW) return this.overflow(this.u32(p, at + 4), this.u32(p, at + 8));
    throw new DatabaseFormatError(`unsupported btree item type ${kind}`);
  }

  /** Every key/value pair, in bucket (hash) or key (btree) order, at most `max`. */
  *entries(max: number): Generator<[Buffer, Buffer]> {
    let count = 0;
    if (this.type === 'hash') {
      if (this.maxBucket > this.lastPage) throw new DatabaseFormatError('more buckets than pages');
      for (let b = 0; b <= this.maxBucket; b++)
        for (const kv of this.hashChain(this.bucketPage(b))) {
          if (++count > max) throw new DatabaseFormatError(`more than ${max} entries`);
          yield kv;
        }
      return;
    }
    // Btree: descend to the left-most leaf, then follow the leaves' next-page links.
    let n = this.root;
    for (let depth = 0; ; depth++) {
      if (depth > 32) throw new DatabaseFormatError('the btree is too deep');
      const p = this.page(n);
      if (p[25] === P_LBTREE) break;
      if (p[25] !== P_IBTREE || this.u16(p, 20) === 0)
        throw new DatabaseFormatError(`page ${n} is not a btree page`);
      n = this.u32(p, this.u16(p, 26) + 4);
    }
    for (let hops = 0; n !== 0; hops++) {
      if (hops > MAX_CHAIN) throw new DatabaseFormatError('the leaf chain loops');
      const p = this.page(n);
      if (p[25] !== P_LBTREE) throw new DatabaseFormatError(`page ${n} is not a btree leaf`);
      const entries = this.u16(p, 20);
      if (26 + entries * 2 > this.pageSize) throw new DatabaseFormatError('item offsets run past the page');
      for (let i = 0; i + 1 < entries; i += 2) {
        const k = this.u16(p, 26 + i * 2);
        const v = this.u16(p, 28 + i * 2);
        if ((p[k + 2]! & 0x80) !== 0) continue; // deleted
        if (++count > max) throw new DatabaseFormatError(`more than ${max} entries`);
        yield [this.btreeValue(p, k), this.btreeValue(p, v)];
      }
      n = this.u32(p, 16);
    }
  }

  /** The value for one key: a hash file looks in the key's bucket only (Berkeley DB's default hash, FNV-1). */
  get(key: Buffer): Buffer | null {
    if (this.type === 'hash') {
      let h = 0;
      for (const c of key) h = (Math.imul(h, 16777619) ^ c) >>> 0;
      let bucket = (h & this.highMask) >>> 0;
      if (bucket > this.maxBucket) bucket = (bucket & this.lowMask) >>> 0;
      for (const [k, v] of this.hashChain(this.bucketPage(bucket))) if (k.equals(key)) return v;
      return null;
    }
    for (const [k, v] of this.entries(10_000_000)) if (k.equals(key)) return v;
    return null;
  }

  /** A 32-bit integer in the file's byte order (RPM's header numbers and index items). */
  uint32(b: Buffer, at: number): number {
    return this.u32(b, at);
  }
  uint32Key(n: number): Buffer {
    const b = Buffer.alloc(4);
    if (this.le) b.writeUInt32LE(n);
    else b.writeUInt32BE(n);
    return b;
  }
}
