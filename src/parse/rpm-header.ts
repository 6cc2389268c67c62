// Parses an RPM header blob as the package databases store it (rpm.org docs/manual/format_header.md), bounded.

/** The tags ctrsafe reads (rpm include/rpm/rpmtag.h). */
const TAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  ARCH: 1022,
  SOURCERPM: 1044,
  CHANGELOGTIME: 1080,
  CHANGELOGNAME: 1081,
  CHANGELOGTEXT: 1082,
} as const;

/** Types (format_header.md, "Index"). */
const INT32 = 4;
const STRING = 6;
const STRING_ARRAY = 8;
const I18NSTRING = 9;

export interface RpmChangelogEntry {
  /** Seconds since the epoch. */
  time: number;
  /** "Jane Doe <jd@example.org> - 4.18.0-348.20.1.el8_5": the version usually ends the name. */
  name: string;
  text: string;
}

export interface RpmHeader {
  name: string;
  /** [epoch:]version-release, as rpm -q prints it with an epoch. */
  evr: string;
  arch: string | null;
  sourcerpm: string | null;
}

/** A header larger than this is not one rpm wrote (rpm's own cap, headerImport's hdrchkData, is 256 MiB). */
const MAX_INDEX = 65536;

export type HeaderResult = { ok: true; header: RpmHeader; blob: Buffer } | { ok: false; reason: string };

interface Index {
  blob: Buffer;
  data: number;
  entries: Map<number, { type: number; offset: number; count: number }>;
}

/**
 * The database form is the header without its 8-byte magic: il (index entries), dl (data bytes), il 16-byte
 * entries {tag, type, offset, count}, then dl bytes of data, all big-endian.
 */
function readIndex(blob: Buffer): Index | string {
  if (blob.length < 8) return 'shorter than a header';
  const il = blob.readUInt32BE(0);
  const dl = blob.readUInt32BE(4);
  if (il === 0 || il > MAX_INDEX) return `index of ${il} entries`;
  const data = 8 + il * 16;
  if (data + dl > blob.length) return 'header data runs past the blob';
  const entries = new Map<number, { type: number; offset: number; count: number }>();
  for (let i = 0; i < il; i++) {
    const at = 8 + i * 16;
    const tag = blob.readUInt32BE(at);
    const type = blob.readUInt32BE(at + 4);
    const offset = blob.readInt32BE(at + 8);
    const count = blob.readUInt32BE(at + 12);
    if (offset < 0 || offset >= dl || count === 0 || count > dl) continue;
    if (!entries.has(tag)) entries.set(tag, { type, offset: data + offset, count });
  }
  return { blob: blob.subarray(0, data + dl), data, entries };
}

function strings(ix: Index, tag: number, max: number): string[] | null {
  const e = ix.entries.get(tag);
  if (!e || ![STRING, STRING_ARRAY, I18NSTRING].includes(e.type)) return null;
  const n = e.type === STRING ? 1 : Math.min(e.count, max);
  const out: string[] = [];
  let at = e.offset;
  for (let i = 0; i < n; i++) {
    const end = ix.blob.indexOf(0, at);
    if (end < 0) return null;
    out.push(ix.blob.toString('utf8', at, end));
    at = end + 1;
  }
  return out;
}

function int32s(ix: Index, tag: number, max: number): number[] | null {
  const e = ix.entries.get(tag);
  if (!e || e.type !== INT32) return null;
  const n = Math.min(e.count, max);
  if (e.offset + n * 4 > ix.blob.length) return null;
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(ix.blob.readUInt32BE(e.offset + i * 4));
  return out;
}

const TOKEN = /^[\x21-\x7e]{1,200}$/;

/** Name, epoch, version, release, arch and source RPM of one header blob; a reason when it is not one. */
export function parseRpmHeader(blob: Buffer): HeaderResult {
  const ix = readIndex(blob);
  if (typeof ix === 'string') return { ok: false, reason: ix };
  const one = (tag: number) => strings(ix, tag, 1)?.[0] ?? null;
  const name = one(TAG.NAME);
  const version = one(TAG.VERSION);
  const release = one(TAG.RELEASE);
  if (!name || !version || !release || ![name, version, release].every((s) => TOKEN.test(s)))
    return { ok: false, reason: 'no NAME, VERSION and RELEASE' };
  const epoch = int32s(ix, TAG.EPOCH, 1)?.[0];
  const arch = one(TAG.ARCH);
  const src = one(TAG.SOURCERPM);
  return {
    ok: true,
    blob: ix.blob,
    header: {
      name,
      evr: `${epoch !== undefined && epoch > 0 ? `${epoch}:` : ''}${version}-${release}`,
      arch: arch && TOKEN.test(arch) ? arch : null,
      sourcerpm: src && TOKEN.test(src) ? src : null,
    },
  };
}

/** The changelog of one header, newest first, at most `max` entries (a kernel's runs to thousands). */
export function rpmChangelog(blob: Buffer, max = 20000): RpmChangelogEntry[] {
  const ix = readIndex(blob);
  if (typeof ix === 'string') return [];
  const times = int32s(ix, TAG.CHANGELOGTIME, max) ?? [];
  const names = strings(ix, TAG.CHANGELOGNAME, max) ?? [];
  const texts = strings(ix, TAG.CHANGELOGTEXT, max) ?? [];
  const n = Math.min(times.length, names.length, texts.length);
  const out: RpmChangelogEntry[] = [];
  for (let i = 0; i < n; i++) out.push({ time: times[i]!, name: names[i]!, text: texts[i]! });
  return out;
}
