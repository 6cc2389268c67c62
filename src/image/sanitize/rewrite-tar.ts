// Rewrites a tar stream the way Shifter advises images be built: no xattrs, no setuid/setgid, no devices, root-owned.
import { Transform, type TransformCallback } from 'node:stream';
import { ImageFormatError, normalizeImagePath } from '../image-entry.js';

export interface SanitizeOptions {
  uid: number;
  gid: number;
  /** A caller's own rule per member (normalized absolute path, tar type flag): a reason drops it, null keeps it. */
  refuse?: (path: string, type: string) => string | null;
}

export interface SanitizeStats {
  members: number;
  setidCleared: number;
  devicesDropped: number;
  xattrsDropped: number;
  namesRewritten: number;
  linksDropped: number;
  worldWritableFixed: number;
  refused: number;
}

const BLOCK = 512;
const MAX_META = 1024 * 1024;

function octalField(h: Buffer, off: number, len: number): number {
  // GNU base-256 for large values: the high bit of the first byte is set.
  if ((h[off]! & 0x80) !== 0) {
    let v = 0;
    for (let i = off + 1; i < off + len; i++) v = v * 256 + h[i]!;
    return v;
  }
  const s = h
    .subarray(off, off + len)
    .toString('latin1')
    .replace(/\0.*$/s, '')
    .trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s))
    // JSON quoting: the field's bytes are the image's, and control characters must not reach a terminal.
    throw new ImageFormatError(`tar header field at ${off} is not octal: ${JSON.stringify(s.slice(0, 20))}`);
  return parseInt(s, 8);
}

const str = (h: Buffer, off: number, len: number) =>
  h
    .subarray(off, off + len)
    .toString('utf8')
    .replace(/\0.*$/s, '');

/** POSIX pax records "<len> <key>=<value>\n", parsed by their length prefix (values may hold any byte). */
function parsePax(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let i = 0;
  while (i < buf.length) {
    const sp = buf.indexOf(0x20, i);
    if (sp < 0) break;
    const len = Number(buf.subarray(i, sp).toString('latin1'));
    if (!Number.isInteger(len) || len <= 0 || i + len > buf.length)
      throw new ImageFormatError('malformed pax record');
    const rec = buf.subarray(sp + 1, i + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq > 0) out.set(rec.subarray(0, eq).toString('utf8'), rec.subarray(eq + 1));
    i += len;
  }
  return out;
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len)
    len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`);
}

function header(
  name: string,
  type: string,
  mode: number,
  uid: number,
  gid: number,
  size: number,
  mtime: number,
  link: string,
): Buffer {
  const h = Buffer.alloc(BLOCK);
  const put = (v: string, off: number, len: number) => h.write(v.slice(0, len), off, len, 'utf8');
  // Octal where it fits (len-1 digits); beyond, GNU's base-256 (high bit set, big-endian), which GNU tar,
  // libarchive and squashfs-tools-ng read: a member of 8 GiB or more keeps its exact size.
  const oct = (v: number, off: number, len: number) => {
    if (v < 8 ** (len - 1)) return put(v.toString(8).padStart(len - 1, '0'), off, len - 1);
    let rest = BigInt(v);
    for (let i = off + len - 1; i > off; i--, rest >>= 8n) h[i] = Number(rest & 0xffn);
    h[off] = 0x80;
  };
  put(name, 0, 100);
  oct(mode, 100, 8);
  oct(uid, 108, 8);
  oct(gid, 116, 8);
  oct(size, 124, 12);
  oct(Math.max(0, Math.min(mtime, 0o77777777777)), 136, 12);
  h.fill(0x20, 148, 156);
  put(type, 156, 1);
  put(link, 157, 100);
  put('ustar\0' + '00', 257, 8);
  put('root', 265, 32);
  put('root', 297, 32);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

/** A Transform from tar bytes to sanitized tar bytes; file data passes through untouched and unbuffered. */
export class SanitizeTar extends Transform {
  readonly stats: SanitizeStats = {
    members: 0,
    setidCleared: 0,
    devicesDropped: 0,
    xattrsDropped: 0,
    namesRewritten: 0,
    linksDropped: 0,
    worldWritableFixed: 0,
    refused: 0,
  };
  readonly notes: string[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private dataLeft = 0;
  private padLeft = 0;
  private skipping = false;
  private meta: { kind: 'pax' | 'longname' | 'longlink' | 'global'; left: number; chunks: Buffer[] } | null =
    null;
  private pax = new Map<string, Buffer>();
  private longName: string | null = null;
  private longLink: string | null = null;
  private ended = false;

  constructor(private readonly opts: SanitizeOptions) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      this.drain();
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    if (this.dataLeft > 0 || this.meta) return cb(new ImageFormatError('tar stream ends inside a member'));
    this.push(Buffer.alloc(BLOCK * 2));
    cb();
  }

  private note(s: string): void {
    if (this.notes.length < 1000) this.notes.push(s);
  }

  private drain(): void {
    while (this.buf.length > 0 && !this.ended) {
      if (this.dataLeft > 0 || this.padLeft > 0) {
        const take = Math.min(this.buf.length, this.dataLeft + this.padLeft);
        const piece = this.buf.subarray(0, take);
        if (!this.skipping) this.push(Buffer.from(piece));
        this.buf = this.buf.subarray(take);
        const fromData = Math.min(take, this.dataLeft);
        this.dataLeft -= fromData;
        this.padLeft -= take - fromData;
        continue;
      }
      if (this.meta) {
        const take = Math.min(this.buf.length, this.meta.left);
        this.meta.chunks.push(Buffer.from(this.buf.subarray(0, take)));
        this.buf = this.buf.subarray(take);
        this.meta.left -= take;
        if (this.meta.left === 0) this.finishMeta();
        continue;
      }
      if (this.buf.length < BLOCK) return;
      const h = this.buf.subarray(0, BLOCK);
      this.buf = this.buf.subarray(BLOCK);
      if (h.every((b) => b === 0)) {
        this.ended = true;
        return;
      }
      this.member(Buffer.from(h));
    }
  }

  private finishMeta(): void {
    const m = this.meta!;
    this.meta = null;
    const data = Buffer.concat(m.chunks);
    const body = data.subarray(0, data.length - ((BLOCK - (data.length % BLOCK)) % BLOCK) || data.length);
    if (m.kind === 'pax') {
      const recs = parsePax(body);
      for (const [k, v] of recs) {
        if (/^(SCHILY\.xattr\.|LIBARCHIVE\.xattr\.|SCHILY\.acl\.)/.test(k)) this.stats.xattrsDropped++;
        else this.pax.set(k, v);
      }
    } else if (m.kind === 'longname') this.longName = body.toString('utf8').replace(/\0.*$/s, '');
    else if (m.kind === 'longlink') this.longLink = body.toString('utf8').replace(/\0.*$/s, '');
  }

  private member(h: Buffer): void {
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    if (sum !== octalField(h, 148, 8)) throw new ImageFormatError('tar header checksum mismatch');
    const type = String.fromCharCode(h[156]! || 0x30);
    const size = this.pax.has('size') ? Number(this.pax.get('size')!.toString()) : octalField(h, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0)
      throw new ImageFormatError('tar member size is not a number');
    if ('xgLK'.includes(type)) {
      if (size > MAX_META)
        throw new ImageFormatError(`tar ${type} header of ${size} bytes is larger than 1 MiB`);
      const kind = type === 'x' ? 'pax' : type === 'g' ? 'global' : type === 'L' ? 'longname' : 'longlink';
      this.meta = { kind, left: size + ((BLOCK - (size % BLOCK)) % BLOCK), chunks: [] };
      if (size === 0) this.finishMeta();
      return;
    }
    const prefix = str(h, 345, 155);
    const rawName =
      this.pax.get('path')?.toString('utf8') ??
      this.longName ??
      (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
    const rawLink = this.pax.get('linkpath')?.toString('utf8') ?? this.longLink ?? str(h, 157, 100);
    const mtime = this.pax.has('mtime')
      ? Math.floor(Number(this.pax.get('mtime')!.toString()))
      : octalField(h, 136, 12);
    this.pax.clear();
    this.longName = null;
    this.longLink = null;
    this.stats.members++;
    const padded = size + ((BLOCK - (size % BLOCK)) % BLOCK);
    const skip = (why: string, counter: keyof SanitizeStats) => {
      this.stats[counter]++;
      this.note(`${rawName}: ${why}`);
      this.dataLeft = size;
      this.padLeft = padded - size;
      this.skipping = true;
    };
    if (type === '3' || type === '4') return skip('device node dropped', 'devicesDropped');
    const clean = normalizeImagePath(rawName);
    const refusal = this.opts.refuse?.(clean, type);
    if (refusal) return skip(refusal, 'refused');
    const rel = clean === '/' ? './' : `.${clean}${type === '5' ? '/' : ''}`;
    if (
      clean !== normalizeImagePath(rawName.replace(/^\/+/, '')) ||
      /(^|\/)\.\.(\/|$)/.test(rawName) ||
      rawName.startsWith('/')
    ) {
      this.stats.namesRewritten++;
      this.note(`${rawName}: stored as ${rel}`);
    }
    let link = rawLink;
    if (type === '1') {
      link = `.${normalizeImagePath(rawLink)}`;
      if (/(^|\/)\.\.(\/|$)/.test(rawLink) || rawLink.startsWith('/'))
        return skip('hard link to a path outside the image dropped', 'linksDropped');
    }
    if (type === '2' && !rawLink.startsWith('/')) {
      const depth = clean.split('/').filter(Boolean).length - 1;
      let up = 0;
      let min = 0;
      for (const p of rawLink.split('/')) {
        if (p === '..') up++;
        else if (p !== '' && p !== '.') up--;
        min = Math.max(min, up);
      }
      if (min > depth)
        return skip(`symlink -> ${rawLink} climbs above the image root: dropped`, 'linksDropped');
    }
    let mode = octalField(h, 100, 8) & 0o7777;
    if (mode & 0o6000) {
      this.stats.setidCleared++;
      mode &= ~0o6000;
    }
    if (mode & 0o002 && type !== '2') {
      this.stats.worldWritableFixed++;
      mode = type === '5' ? mode | 0o1000 : mode & ~0o002;
    }
    this.skipping = false;
    const recs: Buffer[] = [];
    if (Buffer.byteLength(rel) > 99) recs.push(paxRecord('path', rel));
    if (Buffer.byteLength(link) > 99) recs.push(paxRecord('linkpath', link));
    if (recs.length) {
      const body = Buffer.concat(recs);
      this.push(header('./PaxHeaders/x', 'x', 0o644, 0, 0, body.length, 0, ''));
      this.push(Buffer.concat([body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK)]));
    }
    const outType = type === '7' ? '0' : type;
    const dataSize = outType === '0' ? size : 0;
    this.push(
      header(
        rel,
        outType,
        mode,
        this.opts.uid,
        this.opts.gid,
        dataSize,
        mtime,
        type === '1' || type === '2' ? link : '',
      ),
    );
    this.dataLeft = size;
    this.padLeft = padded - size;
    this.skipping = outType !== '0';
  }
}
