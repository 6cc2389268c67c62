// Writes zip archives byte by byte (PKWARE APPNOTE.TXT 4.3): ordinary, zip64, and hostile ones whose central
// directory lies (entries sharing one local header, sizes claimed as 0), for the db update tests and benchmark.
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';

export interface ZipMemberSpec {
  name: string;
  data: Buffer;
  /** 8 = deflate (default), 0 = stored. */
  method?: 0 | 8;
}

const crc32 = (b: Buffer): number => (zlib as unknown as { crc32(b: Buffer): number }).crc32(b);

function localHeader(name: Buffer, method: number, crc: number, csize: number, usize: number): Buffer {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(0x0800, 6); // UTF-8 names
  h.writeUInt16LE(method, 8);
  h.writeUInt32LE(crc, 14);
  h.writeUInt32LE(csize, 18);
  h.writeUInt32LE(usize, 22);
  h.writeUInt16LE(name.length, 26);
  return Buffer.concat([h, name]);
}

function centralEntry(
  name: Buffer,
  method: number,
  crc: number,
  csize: number,
  usize: number,
  offset: number,
  zip64: boolean,
): Buffer {
  const extra = zip64 ? Buffer.alloc(4 + 24) : Buffer.alloc(0);
  if (zip64) {
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(24, 2);
    extra.writeBigUInt64LE(BigInt(usize), 4);
    extra.writeBigUInt64LE(BigInt(csize), 12);
    extra.writeBigUInt64LE(BigInt(offset), 20);
  }
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(zip64 ? 45 : 20, 4);
  h.writeUInt16LE(zip64 ? 45 : 20, 6);
  h.writeUInt16LE(0x0800, 8);
  h.writeUInt16LE(method, 10);
  h.writeUInt32LE(crc, 16);
  h.writeUInt32LE(zip64 ? 0xffffffff : csize, 20);
  h.writeUInt32LE(zip64 ? 0xffffffff : usize, 24);
  h.writeUInt16LE(name.length, 28);
  h.writeUInt16LE(extra.length, 30);
  h.writeUInt32LE(zip64 ? 0xffffffff : offset, 42);
  return Buffer.concat([h, name, extra]);
}

function endRecords(count: number, cdSize: number, cdOffset: number, zip64: boolean): Buffer {
  const parts: Buffer[] = [];
  if (zip64) {
    const r = Buffer.alloc(56);
    r.writeUInt32LE(0x06064b50, 0);
    r.writeBigUInt64LE(44n, 4);
    r.writeUInt16LE(45, 12);
    r.writeUInt16LE(45, 14);
    r.writeBigUInt64LE(BigInt(count), 24);
    r.writeBigUInt64LE(BigInt(count), 32);
    r.writeBigUInt64LE(BigInt(cdSize), 40);
    r.writeBigUInt64LE(BigInt(cdOffset), 48);
    const l = Buffer.alloc(20);
    l.writeUInt32LE(0x07064b50, 0);
    l.writeBigUInt64LE(BigInt(cdOffset + cdSize), 8);
    l.writeUInt32LE(1, 16);
    parts.push(r, l);
  }
  const e = Buffer.alloc(22);
  e.writeUInt32LE(0x06054b50, 0);
  e.writeUInt16LE(zip64 ? 0xffff : count, 8);
  e.writeUInt16LE(zip64 ? 0xffff : count, 10);
  e.writeUInt32LE(zip64 ? 0xffffffff : cdSize, 12);
  e.writeUInt32LE(zip64 ? 0xffffffff : cdOffset, 16);
  parts.push(e);
  return Buffer.concat(parts);
}

/** An ordinary archive (zip64 records when asked, or when there are more than 65,534 members), streamed to disk. */
export function writeZip(
  file: string,
  members: Iterable<ZipMemberSpec>,
  opts: { zip64?: boolean } = {},
): void {
  const fd = fs.openSync(file, 'w');
  const central: Buffer[] = [];
  let offset = 0;
  let count = 0;
  const put = (b: Buffer) => {
    fs.writeSync(fd, b);
    offset += b.length;
  };
  const all = [...members];
  const zip64 = opts.zip64 ?? all.length > 0xfffe;
  for (const m of all) {
    const method = m.method ?? 8;
    const name = Buffer.from(m.name);
    const body = method === 8 ? zlib.deflateRawSync(m.data) : m.data;
    const crc = crc32(m.data);
    const at = offset;
    put(localHeader(name, method, crc, body.length, m.data.length));
    put(body);
    central.push(centralEntry(name, method, crc, body.length, m.data.length, at, zip64));
    count++;
  }
  const cd = Buffer.concat(central);
  const cdOffset = offset;
  put(cd);
  put(endRecords(count, cd.length, cdOffset, zip64));
  fs.closeSync(fd);
}

/**
 * issue 13's zip bomb: one member of `bytes` inflated bytes, and `count` central-directory entries that all point at
 * its local header while claiming 0 bytes each.
 */
export function writeSharedHeaderBomb(file: string, bytes: number, count: number): void {
  const data = Buffer.concat([
    Buffer.from('{"id":"X","pad":"'),
    Buffer.alloc(bytes - 20, 0x61),
    Buffer.from('"}\n'),
  ]);
  const body = zlib.deflateRawSync(data);
  const name = Buffer.from('bomb.json');
  const head = localHeader(name, 8, crc32(data), body.length, data.length);
  const central: Buffer[] = [];
  for (let i = 0; i < count; i++)
    central.push(centralEntry(Buffer.from(`bomb-${i}.json`), 8, crc32(data), body.length, 0, 0, false));
  const cd = Buffer.concat(central);
  fs.writeFileSync(
    file,
    Buffer.concat([head, body, cd, endRecords(count, cd.length, head.length + body.length, false)]),
  );
}
