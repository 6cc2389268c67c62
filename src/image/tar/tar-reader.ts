// Streams a tar archive's members as ImageEntry values without keeping member data: ustar, GNU and PAX, bounded.
import {
  DEFAULT_LIMITS,
  ImageFormatError,
  normalizeImagePath,
  type EntryType,
  type ImageEntry,
  type ReadLimits,
} from '../image-entry.js';
import { StreamSource, type ByteInput, type ByteSource } from './byte-source.js';
import { detectCompression } from './compression.js';
import { decodeBase64, decodeUrlName, paxNumber, parsePaxRecords } from './pax-records.js';
import { BLOCK, isZeroBlock, parseHeader, type TarHeader } from './tar-header.js';

/** One PAX header may carry many xattrs of maxXattrBytes each, but not more than this. */
const MAX_EXTENDED_HEADER = 16 * 1024 * 1024;

/** Counters shared by every tar read of one image, so limits hold for the image and not per layer. */
export interface ReadBudget {
  entries: number;
  metadataBytes: number;
  /** Date.now() value after which reading stops. */
  deadlineAt: number;
}

export function newReadBudget(limits: ReadLimits = DEFAULT_LIMITS): ReadBudget {
  return { entries: 0, metadataBytes: 0, deadlineAt: Date.now() + limits.deadlineMs };
}

export interface TarReadOptions {
  limits?: ReadLimits;
  /** Stamped on every entry (layered images; 0 = lowest). */
  layer?: number;
  budget?: ReadBudget;
}

export interface TarMember {
  entry: ImageEntry;
  /** Offset of the header block in the (decompressed) input. */
  headerOffset: number;
  /** Offset of the member's data in the (decompressed) input. */
  dataOffset: number;
  /** Bytes stored in the archive; for sparse files less than entry.size, for header-only types 0. */
  dataSize: number;
  /** GNU sparse (old 'S' or PAX GNU.sparse.*): the stored bytes are not the file's contents as they are. */
  sparse: boolean;
  uname: string;
  gname: string;
  /** The member's stored bytes. Read them before asking for the next member; what is left unread is skipped. */
  body(): AsyncGenerator<Buffer>;
}

const padding = (n: number): number => (BLOCK - (n % BLOCK)) % BLOCK;

/** Names the audit must see as stored: absolute, climbing ("..") or empty. */
export function isUncleanName(name: string): boolean {
  return name === '' || name.startsWith('/') || name.split('/').includes('..');
}

function typeOf(typeflag: string, name: string): { type: EntryType; headerOnly: boolean } {
  switch (typeflag) {
    // Go's archive/tar (reader.go isHeaderOnlyType), which Docker, containerd and umoci extract with, reads no
    // data for these whatever their size field says; doing the same keeps the audit's view the runtime's view.
    case '1':
      return { type: 'hardlink', headerOnly: true };
    case '2':
      return { type: 'symlink', headerOnly: true };
    case '3':
      return { type: 'char', headerOnly: true };
    case '4':
      return { type: 'block', headerOnly: true };
    case '5':
      return { type: 'dir', headerOnly: true };
    case '6':
      return { type: 'fifo', headerOnly: true };
    case 'D':
      return { type: 'dir', headerOnly: false }; // GNU dumpdir: a directory whose data lists its names
    case '\0':
      // Pre-POSIX archives mark directories by a trailing slash on an old-style regular file.
      return { type: name.endsWith('/') ? 'dir' : 'file', headerOnly: name.endsWith('/') };
    default:
      // '0', '7' (contiguous) and, as POSIX ustar requires, any unknown type are regular files.
      return { type: 'file', headerOnly: false };
  }
}

function text(x: Map<string, Buffer>, key: string, at: number): string | undefined {
  const v = x.get(key);
  if (v === undefined) return undefined;
  if (v.includes(0)) throw new ImageFormatError(`tar PAX header at byte ${at}: ${key} contains a NUL byte`);
  return v.toString('utf8');
}

function checkPath(p: string, what: string, at: number, limits: ReadLimits): void {
  if (Buffer.byteLength(p) > limits.maxPathBytes) {
    throw new ImageFormatError(`tar member at byte ${at}: ${what} longer than ${limits.maxPathBytes} bytes`);
  }
}

function buildEntry(
  h: TarHeader,
  x: Map<string, Buffer>,
  longName: string | null,
  longLink: string | null,
  at: number,
  limits: ReadLimits,
): { entry: ImageEntry; dataSize: number; sparse: boolean; uname: string; gname: string } {
  const name = text(x, 'GNU.sparse.name', at) ?? text(x, 'path', at) ?? longName ?? h.name;
  const link = text(x, 'linkpath', at) ?? longLink ?? h.linkname;
  checkPath(name, 'name', at, limits);
  const path = normalizeImagePath(name);
  if (path.split('/').length - 1 > limits.maxDepth) {
    throw new ImageFormatError(`tar member at byte ${at}: deeper than ${limits.maxDepth} directories`);
  }
  const { type, headerOnly } = typeOf(h.typeflag, name);
  const num = (key: string, fallback: number): number => {
    const v = x.get(key);
    return v === undefined ? fallback : paxNumber(v, key, at);
  };
  const stored = num('size', h.size);
  const realSize = x.get('GNU.sparse.realsize') ?? x.get('GNU.sparse.size');
  const sparse = h.gnuSparse !== undefined || realSize !== undefined || x.has('GNU.sparse.major');
  const entry: ImageEntry = {
    path,
    type,
    mode: h.mode,
    uid: num('uid', h.uid),
    gid: num('gid', h.gid),
    size: headerOnly
      ? 0
      : (h.gnuSparse?.realSize ?? (realSize ? paxNumber(realSize, 'GNU.sparse.realsize', at) : stored)),
  };
  if (isUncleanName(name)) entry.rawName = name;
  if (type === 'symlink' || type === 'hardlink') {
    checkPath(link, 'link target', at, limits);
    // A hard link names another member: as an image path, unless the stored name escapes (kept for the audit).
    entry.linkTarget = type === 'hardlink' && !isUncleanName(link) ? normalizeImagePath(link) : link;
  }
  if (type === 'char' || type === 'block') {
    entry.devMajor = num('SCHILY.devmajor', h.devMajor);
    entry.devMinor = num('SCHILY.devminor', h.devMinor);
  }
  for (const [k, v] of x) {
    let xname: string;
    let value: Buffer;
    if (k.startsWith('SCHILY.xattr.')) {
      xname = k.slice('SCHILY.xattr.'.length);
      value = Buffer.from(v); // a copy: the record may share a large input chunk
    } else if (k.startsWith('LIBARCHIVE.xattr.')) {
      xname = decodeUrlName(k.slice('LIBARCHIVE.xattr.'.length), at);
      value = decodeBase64(v, at);
    } else continue;
    if (xname === '') throw new ImageFormatError(`tar PAX header at byte ${at}: xattr without a name`);
    if (value.length > limits.maxXattrBytes) {
      throw new ImageFormatError(
        `tar member at byte ${at}: xattr ${xname} larger than ${limits.maxXattrBytes} bytes`,
      );
    }
    (entry.xattrs ??= {})[xname] = value;
  }
  return {
    entry,
    dataSize: headerOnly ? 0 : stored,
    sparse,
    uname: text(x, 'uname', at) ?? h.uname,
    gname: text(x, 'gname', at) ?? h.gname,
  };
}

/** Global ('g') records, then the member's own ('x'); an empty own value unsets the key (POSIX pax), except xattrs. */
function mergeRecords(globals: Map<string, Buffer>, local: Map<string, Buffer> | null): Map<string, Buffer> {
  if (!local) return globals;
  const out = new Map(globals);
  for (const [k, v] of local) {
    if (v.length === 0 && !k.startsWith('SCHILY.xattr.') && !k.startsWith('LIBARCHIVE.xattr.')) out.delete(k);
    else out.set(k, v);
  }
  return out;
}

/** Members with their data offsets; the data of each is skipped unless its body() is read first. */
export async function* readTarMembers(src: ByteSource, opts: TarReadOptions = {}): AsyncGenerator<TarMember> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const budget = opts.budget ?? newReadBudget(limits);
  const globals = new Map<string, Buffer>();
  let local: Map<string, Buffer> | null = null;
  let longName: string | null = null;
  let longLink: string | null = null;
  const meta = (n: number, at: number): void => {
    budget.metadataBytes += n;
    if (budget.metadataBytes > limits.maxMetadataBytes) {
      throw new ImageFormatError(
        `tar: more than ${limits.maxMetadataBytes} bytes of headers (at byte ${at})`,
      );
    }
  };
  const readData = async (size: number, at: number): Promise<Buffer> => {
    const data = size === 0 ? Buffer.alloc(0) : await src.read(size);
    if (!data) throw new ImageFormatError(`tar: input ends inside the extended header at byte ${at}`);
    const copy = Buffer.from(data); // parsed values may outlive the chunk they came in
    await src.skip(padding(size));
    return copy;
  };
  for (;;) {
    if (Date.now() > budget.deadlineAt)
      throw new ImageFormatError(`tar: reading took longer than ${limits.deadlineMs} ms`);
    const at = src.position;
    const block = await src.readSome(BLOCK);
    if (block.length === 0) {
      if (local || longName !== null || longLink !== null) {
        throw new ImageFormatError(
          `tar: archive ends at byte ${at} after an extended header without its member`,
        );
      }
      return;
    }
    if (block.length < BLOCK) {
      const kind = at === 0 ? detectCompression(block) : 'none';
      if (kind !== 'none')
        throw new ImageFormatError(`tar: the input is ${kind}-compressed, not a tar archive`);
      throw new ImageFormatError(`tar: input ends inside the header at byte ${at}`);
    }
    meta(BLOCK, at);
    if (isZeroBlock(block)) {
      // End of archive is two zero blocks; Go's archive/tar rejects a zero block followed by a header.
      const next = await src.read(BLOCK);
      if (next && !isZeroBlock(next)) {
        throw new ImageFormatError(`tar: a zero block at byte ${at} is followed by more headers`);
      }
      return;
    }
    let h: TarHeader;
    try {
      h = parseHeader(block, at);
    } catch (e) {
      const kind = at === 0 ? detectCompression(block) : 'none';
      if (kind !== 'none')
        throw new ImageFormatError(`tar: the input is ${kind}-compressed, not a tar archive`);
      throw e;
    }
    const t = h.typeflag;
    if (t === 'x' || t === 'X' || t === 'g') {
      if (h.size > MAX_EXTENDED_HEADER)
        throw new ImageFormatError(`tar: extended header at byte ${at} is too large`);
      meta(h.size, at);
      const recs = parsePaxRecords(await readData(h.size, at), at);
      if (t === 'g') {
        for (const [k, v] of recs) {
          if (v.length === 0) globals.delete(k);
          else globals.set(k, v);
        }
      } else {
        local ??= new Map();
        for (const [k, v] of recs) local.set(k, v);
      }
      continue;
    }
    if (t === 'L' || t === 'K') {
      if (h.size > limits.maxPathBytes + 1) {
        throw new ImageFormatError(
          `tar: GNU long ${t === 'L' ? 'name' : 'link'} at byte ${at} exceeds ${limits.maxPathBytes} bytes`,
        );
      }
      meta(h.size, at);
      const data = await readData(h.size, at);
      const nul = data.indexOf(0);
      const s = data.subarray(0, nul < 0 ? data.length : nul).toString('utf8');
      if (t === 'L') longName = s;
      else longLink = s;
      continue;
    }
    if (t === 'V') {
      await src.skip(h.size + padding(h.size)); // GNU volume label: names the archive, not a file
      continue;
    }
    if (h.gnuSparse?.extended) {
      // Sparse extension blocks (GNU tar's sparse_header): 21 slots, isextended at byte 504.
      for (;;) {
        const ext = await src.read(BLOCK);
        if (!ext)
          throw new ImageFormatError(`tar: input ends inside the sparse map of the member at byte ${at}`);
        meta(BLOCK, at);
        if (ext[504] === 0) break;
      }
    }
    const built = buildEntry(h, mergeRecords(globals, local), longName, longLink, at, limits);
    local = null;
    longName = longLink = null;
    if (opts.layer !== undefined) built.entry.layer = opts.layer;
    if (++budget.entries > limits.maxEntries)
      throw new ImageFormatError(`tar: more than ${limits.maxEntries} entries`);
    const dataOffset = src.position;
    const { dataSize } = built;
    let started = false;
    yield {
      ...built,
      headerOffset: at,
      dataOffset,
      async *body() {
        if (started || src.position !== dataOffset) throw new Error('tar member body read twice or too late');
        started = true;
        yield* src.chunks(dataSize);
      },
    };
    const end = dataOffset + dataSize + padding(dataSize);
    if (src.position > end) throw new Error('tar member body read past its end');
    await src.skip(end - src.position);
  }
}

/** Every member of a tar archive (uncompressed bytes; see openTarStream for files), in archive order, duplicates too. */
export async function* readTarEntries(
  input: AsyncIterable<Buffer> | NodeJS.ReadableStream | ByteInput,
  opts: TarReadOptions = {},
): AsyncGenerator<ImageEntry> {
  const src = new StreamSource(input);
  try {
    for await (const m of readTarMembers(src, opts)) yield m.entry;
  } finally {
    await src.close();
  }
}
