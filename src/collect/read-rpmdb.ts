// Reads the RPM database with ctrsafe's own readers (SQLite, Berkeley DB, ndb): rpm(8) never runs on a tree's files.
import * as fs from 'node:fs';
import type { HostRoot } from '../host/host-root.js';
import { BdbReader } from '../parse/bdb-reader.js';
import { ndbBlobs } from '../parse/ndb-reader.js';
import { DatabaseFormatError, fdAccess, type RandomAccess } from '../parse/random-access.js';
import { parseRpmHeader, rpmChangelog, type RpmChangelogEntry, type RpmHeader } from '../parse/rpm-header.js';
import { SqliteReader } from '../parse/sqlite-reader.js';
import { openInTree } from './read-helpers.js';

export interface RpmPackage {
  name: string;
  evr: string;
  arch: string | null;
  sourcerpm: string | null;
  changelog: RpmChangelogEntry[];
}

export type RpmDbResult =
  | { kind: 'none' }
  | { kind: 'read'; from: string; packages: RpmPackage[] }
  | { kind: 'problem'; from: string; problem: string };

const DIRS = ['/var/lib/rpm', '/usr/lib/sysimage/rpm'];
/** Bytes read from one database in all: RHEL 9's rpmdb.sqlite is 20-60 MiB, and only a few headers are read. */
const MAX_READ = 256 * 1024 * 1024;
const MAX_BLOB = 64 * 1024 * 1024;
const MAX_ROWS = 200_000;

function take(
  blob: Buffer,
  wanted: (name: string) => boolean,
  withChangelog: (h: RpmHeader) => boolean,
  out: RpmPackage[],
): void {
  const h = parseRpmHeader(blob);
  if (!h.ok || !wanted(h.header.name)) return;
  out.push({ ...h.header, changelog: withChangelog(h.header) ? rpmChangelog(h.blob) : [] });
}

function readSqlite(
  db: RandomAccess,
  wal: RandomAccess | null,
  names: readonly string[],
  withChangelog: (h: RpmHeader) => boolean,
): RpmPackage[] {
  const r = new SqliteReader(db, wal);
  const pkgRoot = r.tableRoot('Packages');
  if (pkgRoot === null) throw new DatabaseFormatError('no Packages table');
  const out: RpmPackage[] = [];
  const want = new Set(names);
  const wanted = (n: string) => want.has(n);
  // rpm's Name index table (key, hnum, idx) says which headers to read; without it every header is read.
  const nameRoot = r.tableRoot('Name');
  if (nameRoot !== null) {
    const hnums = new Set<bigint>();
    for (const { values } of r.rows(nameRoot, MAX_ROWS))
      if (typeof values[0] === 'string' && want.has(values[0]) && typeof values[1] === 'number')
        hnums.add(BigInt(values[1]));
    for (const h of hnums) {
      const row = r.row(pkgRoot, h);
      if (row && Buffer.isBuffer(row[1])) take(row[1], wanted, withChangelog, out);
    }
    return out;
  }
  for (const { values } of r.rows(pkgRoot, MAX_ROWS))
    if (Buffer.isBuffer(values[1])) take(values[1], wanted, withChangelog, out);
  return out;
}

function readBdb(
  pkgs: RandomAccess,
  nameFile: RandomAccess | null,
  names: readonly string[],
  withChangelog: (h: RpmHeader) => boolean,
): RpmPackage[] {
  const db = new BdbReader(pkgs);
  const want = new Set(names);
  const wanted = (n: string) => want.has(n);
  const out: RpmPackage[] = [];
  if (nameFile) {
    // The Name index: key = package name, value = (header number, tag index) pairs in the file's byte order.
    const ix = new BdbReader(nameFile);
    const hnums = new Set<number>();
    for (const n of names) {
      const v = ix.get(Buffer.from(n, 'utf8'));
      for (let i = 0; v && i + 8 <= v.length; i += 8) hnums.add(ix.uint32(v, i));
    }
    for (const h of hnums) {
      const blob = db.get(db.uint32Key(h));
      if (blob) take(blob, wanted, withChangelog, out);
    }
    return out;
  }
  for (const [k, v] of db.entries(MAX_ROWS))
    if (k.length === 4 && db.uint32(k, 0) !== 0) take(v, wanted, withChangelog, out);
  return out;
}

function readNdb(
  file: RandomAccess,
  names: readonly string[],
  withChangelog: (h: RpmHeader) => boolean,
): RpmPackage[] {
  const want = new Set(names);
  const out: RpmPackage[] = [];
  for (const b of ndbBlobs(file, MAX_ROWS)) {
    if (b.length > MAX_BLOB || b.length < 8) continue;
    // Only the name first: the index, then the NAME string (tag 1000, a STRING); the whole blob when wanted.
    const il = b.read(0, 8).readUInt32BE(0);
    if (il === 0 || 8 + il * 16 > b.length) continue;
    const index = b.read(8, il * 16);
    let name: string | null = null;
    for (let i = 0; i < il; i++)
      if (index.readUInt32BE(i * 16) === 1000) {
        const at = 8 + il * 16 + index.readInt32BE(i * 16 + 8);
        if (at < 0 || at >= b.length) break;
        const s = b.read(at, Math.min(256, b.length - at));
        const end = s.indexOf(0);
        name = end > 0 ? s.toString('utf8', 0, end) : null;
        break;
      }
    if (name !== null && want.has(name)) take(b.read(0, b.length), (n) => want.has(n), withChangelog, out);
  }
  return out;
}

export type RpmDbKind = 'rpmdb.sqlite' | 'Packages.db' | 'Packages';

/** One database already opened: the SQLite file and its WAL, ndb's Packages.db, or BDB Packages and its Name index. */
export function readPackagesFrom(
  kind: RpmDbKind,
  main: RandomAccess,
  aux: RandomAccess | null,
  names: readonly string[],
  withChangelog: (h: RpmHeader) => boolean,
): RpmPackage[] {
  if (kind === 'rpmdb.sqlite') return readSqlite(main, aux, names, withChangelog);
  if (kind === 'Packages.db') return readNdb(main, names, withChangelog);
  return readBdb(main, aux, names, withChangelog);
}

/**
 * The installed versions of `names` from the host's RPM database, in whichever format it is kept: rpmdb.sqlite
 * (RHEL 9, rpm 4.16+), Packages.db (ndb, SUSE) or Berkeley DB Packages (RHEL 7/8, SLES 12). A database that
 * exists but cannot be read is a problem to show ("could not read"), never an empty package list.
 */
export function readRpmDatabase(
  root: HostRoot,
  names: readonly string[],
  withChangelog: (h: RpmHeader) => boolean,
): RpmDbResult {
  for (const dir of DIRS) {
    const l = root.list(dir, 256);
    if (!l.ok) continue;
    const has = (n: string) => l.names.includes(n);
    const kind: RpmDbKind | null = has('rpmdb.sqlite')
      ? 'rpmdb.sqlite'
      : has('Packages.db')
        ? 'Packages.db'
        : has('Packages')
          ? 'Packages'
          : null;
    if (!kind) continue;
    const from = root.display(`${dir}/${kind}`);
    const fds: number[] = [];
    const open = (n: string): RandomAccess | null => {
      const f = openInTree(root, `${dir}/${n}`);
      if (!f) return null;
      fds.push(f.fd);
      return fdAccess(f.fd, f.size, MAX_READ);
    };
    try {
      const main = open(kind);
      if (!main)
        return {
          kind: 'problem',
          from,
          problem: `could not read the RPM database ${from}: not a regular file that can be opened`,
        };
      // A Debian host with the rpm tool installed has an empty database: nothing installed, nothing to read.
      if (main.size === 0) return { kind: 'read', from, packages: [] };
      const aux = kind === 'rpmdb.sqlite' ? 'rpmdb.sqlite-wal' : kind === 'Packages' ? 'Name' : null;
      const packages = readPackagesFrom(kind, main, aux && has(aux) ? open(aux) : null, names, withChangelog);
      return { kind: 'read', from, packages };
    } catch (e) {
      const why =
        e instanceof DatabaseFormatError || e instanceof RangeError
          ? e.message
          : String((e as Error).message ?? e);
      return {
        kind: 'problem',
        from,
        problem: `could not read the RPM database ${from}: ${why.split('\n')[0]!.slice(0, 200)}`,
      };
    } finally {
      for (const fd of fds) fs.closeSync(fd);
    }
  }
  return { kind: 'none' };
}
