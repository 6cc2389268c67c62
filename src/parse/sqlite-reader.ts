// A minimal read-only SQLite reader: table b-trees, records and committed WAL frames (sqlite.org/fileformat2.html).
import { DatabaseFormatError, type RandomAccess } from './random-access.js';

export type SqlValue = null | number | bigint | string | Buffer;

/** A tree deeper than this is a loop or a lie: 2^20 rows need a depth of about 4. */
const MAX_DEPTH = 32;

/**
 * The write-ahead log's committed frames, page number -> frame offset (fileformat2 section 4.3): a frame counts
 * when its salts match the header and the running checksum holds, up to the last commit frame.
 */
function walFrames(wal: RandomAccess, pageSize: number): Map<number, number> {
  const frames = new Map<number, number>();
  if (wal.size < 32) return frames;
  const h = wal.read(0, 32);
  const magic = h.readUInt32BE(0);
  if (magic !== 0x377f0682 && magic !== 0x377f0683) return frames;
  if (h.readUInt32BE(8) !== pageSize)
    throw new DatabaseFormatError('the WAL page size differs from the database');
  const big = magic === 0x377f0683;
  const word = (b: Buffer, i: number) => (big ? b.readUInt32BE(i) : b.readUInt32LE(i));
  let s0 = 0;
  let s1 = 0;
  const sum = (b: Buffer, len: number) => {
    for (let i = 0; i < len; i += 8) {
      s0 = (s0 + word(b, i) + s1) >>> 0;
      s1 = (s1 + word(b, i + 4) + s0) >>> 0;
    }
  };
  sum(h, 24);
  if (s0 !== h.readUInt32BE(24) || s1 !== h.readUInt32BE(28)) return frames;
  const salt1 = h.readUInt32BE(16);
  const salt2 = h.readUInt32BE(20);
  const pending = new Map<number, number>();
  for (let off = 32; off + 24 + pageSize <= wal.size; off += 24 + pageSize) {
    const fh = wal.read(off, 24);
    if (fh.readUInt32BE(8) !== salt1 || fh.readUInt32BE(12) !== salt2) break;
    sum(fh, 8);
    sum(wal.read(off + 24, pageSize), pageSize);
    if (s0 !== fh.readUInt32BE(16) || s1 !== fh.readUInt32BE(20)) break;
    pending.set(fh.readUInt32BE(0), off + 24);
    if (fh.readUInt32BE(4) !== 0) {
      for (const [p, o] of pending) frames.set(p, o);
      pending.clear();
    }
  }
  return frames;
}

function varint(b: Buffer, at: number): [bigint, number] {
  let v = 0n;
  for (let i = 0; i < 9; i++) {
    if (at + i >= b.length) throw new DatabaseFormatError('a varint runs past its page');
    const c = b[at + i]!;
    if (i === 8) return [(v << 8n) | BigInt(c), at + 9];
    v = (v << 7n) | BigInt(c & 0x7f);
    if (c < 0x80) return [v, at + i + 1];
  }
  return [v, at + 9];
}

const small = (v: bigint, what: string): number => {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DatabaseFormatError(`${what} is out of range`);
  return Number(v);
};

export class SqliteReader {
  private readonly pageSize: number;
  private readonly usable: number;
  private readonly pages: number;
  private readonly wal: Map<number, number>;

  constructor(
    private readonly db: RandomAccess,
    private readonly walFile: RandomAccess | null,
  ) {
    if (db.size < 100) throw new DatabaseFormatError('shorter than an SQLite header');
    const h = db.read(0, 100);
    if (h.toString('latin1', 0, 16) !== 'SQLite format 3\0')
      throw new DatabaseFormatError('not an SQLite 3 database');
    const ps = h.readUInt16BE(16);
    this.pageSize = ps === 1 ? 65536 : ps;
    if (this.pageSize < 512 || (this.pageSize & (this.pageSize - 1)) !== 0)
      throw new DatabaseFormatError(`page size ${this.pageSize} is not a power of two from 512`);
    this.usable = this.pageSize - h[20]!;
    if (this.usable < 480)
      throw new DatabaseFormatError('reserved space leaves less than 480 usable bytes a page');
    if (h.readUInt32BE(56) > 1) throw new DatabaseFormatError('text encoding is not UTF-8');
    this.wal = walFile ? walFrames(walFile, this.pageSize) : new Map<number, number>();
    this.pages = Math.max(Math.floor(db.size / this.pageSize), ...this.wal.keys());
  }

  private page(n: number): Buffer {
    if (!Number.isInteger(n) || n < 1 || n > this.pages)
      throw new DatabaseFormatError(`page ${n} does not exist`);
    const w = this.wal.get(n);
    return w !== undefined
      ? this.walFile!.read(w, this.pageSize)
      : this.db.read((n - 1) * this.pageSize, this.pageSize);
  }

  /** A cell's payload: the local part, then the overflow chain (fileformat2 1.6, "Cell Payload Overflow Pages"). */
  private payload(pg: Buffer, at: number, size: number): Buffer {
    const u = this.usable;
    const x = u - 35;
    let local = size;
    if (size > x) {
      const m = Math.floor(((u - 12) * 32) / 255) - 23;
      const k = m + ((size - m) % (u - 4));
      local = k <= x ? k : m;
    }
    if (at + local > pg.length) throw new DatabaseFormatError('a cell runs past its page');
    if (local === size) return pg.subarray(at, at + size);
    const out = Buffer.allocUnsafe(size);
    pg.copy(out, 0, at, at + local);
    let got = local;
    let next = pg.readUInt32BE(at + local);
    const seen = new Set<number>();
    while (got < size) {
      if (next === 0 || seen.has(next))
        throw new DatabaseFormatError('an overflow chain ends early or loops');
      seen.add(next);
      const ov = this.page(next);
      const n = Math.min(size - got, u - 4);
      ov.copy(out, got, 4, 4 + n);
      got += n;
      next = ov.readUInt32BE(0);
    }
    return out;
  }

  /** Every row of the table b-tree rooted at `root`, in rowid order, with at most `maxRows` rows. */
  *rows(root: number, maxRows: number): Generator<{ rowid: bigint; values: SqlValue[] }> {
    let count = 0;
    const seen = new Set<number>();
    const walk = function* (
      this: SqliteReader,
      n: number,
      depth: number,
    ): Generator<{ rowid: bigint; values: SqlValue[] }> {
      if (depth > MAX_DEPTH || seen.has(n))
        throw new DatabaseFormatError('the table b-tree loops or is too deep');
      seen.add(n);
      const pg = this.page(n);
      const hdr = n === 1 ? 100 : 0;
      const type = pg[hdr]!;
      const cells = pg.readUInt16BE(hdr + 3);
      if (type === 0x05) {
        const ptrs = hdr + 12;
        if (ptrs + cells * 2 > pg.length) throw new DatabaseFormatError('cell pointers run past the page');
        for (let i = 0; i < cells; i++)
          yield* walk.call(this, pg.readUInt32BE(pg.readUInt16BE(ptrs + i * 2)), depth + 1);
        yield* walk.call(this, pg.readUInt32BE(hdr + 8), depth + 1);
      } else if (type === 0x0d) {
        const ptrs = hdr + 8;
        if (ptrs + cells * 2 > pg.length) throw new DatabaseFormatError('cell pointers run past the page');
        for (let i = 0; i < cells; i++) {
          if (++count > maxRows) throw new DatabaseFormatError(`more than ${maxRows} rows`);
          const [size, a] = varint(pg, pg.readUInt16BE(ptrs + i * 2));
          const [rowid, b] = varint(pg, a);
          yield { rowid, values: this.record(this.payload(pg, b, small(size, 'a payload size'))) };
        }
      } else throw new DatabaseFormatError(`page ${n} is not a table b-tree page (type ${type})`);
    };
    yield* walk.call(this, root, 0);
  }

  /** One row by rowid, descending the interior pages (an INTEGER PRIMARY KEY lookup). */
  row(root: number, rowid: bigint): SqlValue[] | null {
    let n = root;
    for (let depth = 0; depth <= MAX_DEPTH; depth++) {
      const pg = this.page(n);
      const hdr = n === 1 ? 100 : 0;
      const type = pg[hdr]!;
      const cells = pg.readUInt16BE(hdr + 3);
      if (type === 0x0d) {
        for (let i = 0; i < cells; i++) {
          const [size, a] = varint(pg, pg.readUInt16BE(hdr + 8 + i * 2));
          const [id, b] = varint(pg, a);
          if (id === rowid) return this.record(this.payload(pg, b, small(size, 'a payload size')));
        }
        return null;
      }
      if (type !== 0x05) throw new DatabaseFormatError(`page ${n} is not a table b-tree page (type ${type})`);
      // Interior cells: (left child, key); the child holds rowids <= key, the right-most pointer the rest.
      let child = pg.readUInt32BE(hdr + 8);
      for (let i = 0; i < cells; i++) {
        const at = pg.readUInt16BE(hdr + 12 + i * 2);
        const [key] = varint(pg, at + 4);
        if (rowid <= key) {
          child = pg.readUInt32BE(at);
          break;
        }
      }
      n = child;
    }
    throw new DatabaseFormatError('the table b-tree is too deep');
  }

  /** The record format (fileformat2 2.1): a header of serial types, then the values. */
  private record(p: Buffer): SqlValue[] {
    const [hsize, first] = varint(p, 0);
    const hlen = small(hsize, 'a record header');
    if (hlen > p.length) throw new DatabaseFormatError('a record header runs past its payload');
    const values: SqlValue[] = [];
    let at = first;
    let body = hlen;
    while (at < hlen) {
      const [st, next] = varint(p, at);
      at = next;
      const t = small(st, 'a serial type');
      const len = t < 5 ? t : t === 5 ? 6 : t < 8 ? 8 : t < 12 ? 0 : Math.floor((t - 12) / 2);
      if (body + len > p.length) throw new DatabaseFormatError('a record value runs past its payload');
      const v = p.subarray(body, body + len);
      body += len;
      if (t === 0) values.push(null);
      else if (t <= 6) values.push(t === 6 ? v.readBigInt64BE(0) : v.readIntBE(0, len));
      else if (t === 7) values.push(v.readDoubleBE(0));
      else if (t === 8 || t === 9) values.push(t - 8);
      else if (t >= 12) values.push(t % 2 === 0 ? v : v.toString('utf8'));
      else throw new DatabaseFormatError(`reserved serial type ${t}`);
    }
    return values;
  }

  /** The root page of a table, from sqlite_schema (page 1: type, name, tbl_name, rootpage, sql). */
  tableRoot(name: string): number | null {
    for (const { values } of this.rows(1, 10000))
      if (values[0] === 'table' && values[1] === name && typeof values[3] === 'number') return values[3];
    return null;
  }
}
