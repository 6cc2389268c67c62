// Real RPM databases for tests: empty packages built with rpmbuild and recorded with rpm --justdb (SQLite), then
// the same headers written by Berkeley DB's own db_load (hash or btree, either byte order) and in rpm's ndb layout.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openTestSqlite } from './test-sqlite.js';

export interface RpmSpec {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  /** Build it as subpackage `name` of source package `source` ("kernel" -> kernel-core): SOURCERPM names the source. */
  source?: string;
  /** %changelog entries, newest first: [date "Tue Jan 11 2022", "Name <mail> [4.18.0-348.12.2.el8_5]", text]. */
  changelog?: [string, string, string][];
}

function specText(p: RpmSpec): string {
  const sub = p.source && p.name.startsWith(`${p.source}-`) ? p.name.slice(p.source.length + 1) : null;
  const lines = [
    `Name: ${sub ? p.source : p.name}`,
    `Version: ${p.version}`,
    `Release: ${p.release}`,
    ...(p.epoch !== undefined ? [`Epoch: ${p.epoch}`] : []),
    'Summary: fixture',
    'License: MIT',
    'BuildArch: noarch',
    '%description',
    'fixture',
    ...(sub
      ? [`%package ${sub}`, 'Summary: fixture', `%description ${sub}`, 'fixture', `%files ${sub}`]
      : ['%files']),
  ];
  if (p.changelog?.length) {
    lines.push('%changelog');
    for (const [date, who, text] of p.changelog) lines.push(`* ${date} ${who}`, text, '');
  }
  return lines.join('\n') + '\n';
}

/** Records the packages in an rpmdb.sqlite at dbpath with rpm itself; only rpmdb.sqlite is kept. */
/** RHEL 8.5's kernel-core 4.18.0-348.12.2.el8_5 with the two %changelog entries that name CVE-2022-0185 and CVE-2021-22555. */
export const KERNEL_CORE_EL8_5: RpmSpec = {
  name: 'kernel-core',
  source: 'kernel',
  version: '4.18.0',
  release: '348.12.2.el8_5',
  changelog: [
    [
      'Tue Jan 11 2022',
      'Patrick Talbert <ptalbert@redhat.com> [4.18.0-348.12.2.el8_5]',
      '- [fs] vfs: fs_context: fix up param length parsing in legacy_parse_param (Carlos Maiolino) [2040585 2040586] {CVE-2022-0185}',
    ],
    [
      'Mon Nov 08 2021',
      'Patrick Talbert <ptalbert@redhat.com> [4.18.0-348.2.1.el8_5]',
      '- [netfilter] x_tables: fix (Florian Westphal) [1980530] {CVE-2021-22555}',
    ],
  ],
};

export function rpmDatabase(dbpath: string, pkgs: RpmSpec[]): void {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-rpmbuild-'));
  fs.mkdirSync(path.join(top, 'SPECS'), { recursive: true });
  for (const [i, p] of pkgs.entries()) {
    const spec = path.join(top, 'SPECS', `${i}-${p.name}.spec`);
    fs.writeFileSync(spec, specText(p));
    execFileSync('rpmbuild', ['--quiet', '--define', `_topdir ${top}`, '-bb', spec], { stdio: 'ignore' });
  }
  fs.mkdirSync(dbpath, { recursive: true });
  execFileSync('rpm', ['--dbpath', dbpath, '--initdb']);
  const dir = path.join(top, 'RPMS/noarch');
  const wanted = new Set(pkgs.map((p) => p.name));
  const rpms = fs
    .readdirSync(dir)
    .filter((f) => wanted.has(f.replace(/-[^-]+-[^-]+\.noarch\.rpm$/, '')))
    .map((f) => path.join(dir, f));
  execFileSync(
    'rpm',
    ['--dbpath', dbpath, '-i', '--justdb', '--nodeps', '--noscripts', '--ignorearch', '--ignoreos', ...rpms],
    { stdio: 'ignore' },
  );
  for (const f of fs.readdirSync(dbpath)) if (f !== 'rpmdb.sqlite') fs.rmSync(path.join(dbpath, f));
  fs.rmSync(top, { recursive: true, force: true });
}

/** The header blobs rpm stored, by header number, and its Name index. */
export function sqliteHeaders(file: string): {
  blobs: [number, Buffer][];
  names: [string, number, number][];
} {
  const db = openTestSqlite(file, { readonly: true });
  try {
    const blobs = (
      db.prepare('SELECT hnum, blob FROM Packages').all() as unknown as { hnum: number; blob: Buffer }[]
    ).map((r) => [r.hnum, r.blob] as [number, Buffer]);
    const names = (
      db.prepare('SELECT key, hnum, idx FROM Name').all() as unknown as {
        key: string;
        hnum: number;
        idx: number;
      }[]
    ).map((r) => [r.key, r.hnum, r.idx] as [string, number, number]);
    return { blobs, names };
  } finally {
    db.close();
  }
}

/**
 * Writes Packages (and Name) as Berkeley DB files with db5.3_load, in the layout rpm's BDB backend used: key
 * = header number (4 bytes, the file's byte order), data = header blob; record 0 holds the next header number.
 */
export function berkeleyDatabase(
  fromSqlite: string,
  dir: string,
  opts: { type: 'hash' | 'btree'; bigEndian?: boolean; pageSize?: number; withName?: boolean },
): void {
  const { blobs, names } = sqliteHeaders(fromSqlite);
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    if (opts.bigEndian) b.writeUInt32BE(n);
    else b.writeUInt32LE(n);
    return b;
  };
  const load = (file: string, type: string, pairs: [Buffer, Buffer][]) => {
    const text = [
      'VERSION=3',
      'format=bytevalue',
      `type=${type}`,
      `db_pagesize=${opts.pageSize ?? 4096}`,
      `db_lorder=${opts.bigEndian ? 4321 : 1234}`,
      'HEADER=END',
      ...pairs.flatMap(([k, v]) => [` ${k.toString('hex')}`, ` ${v.toString('hex')}`]),
      'DATA=END',
      '',
    ].join('\n');
    execFileSync('db5.3_load', [path.join(dir, file)], { input: text });
  };
  fs.mkdirSync(dir, { recursive: true });
  const next = Math.max(0, ...blobs.map(([h]) => h)) + 1;
  load('Packages', opts.type, [
    [u32(0), u32(next)],
    ...blobs.map(([h, b]) => [u32(h), b] as [Buffer, Buffer]),
  ]);
  if (opts.withName !== false) {
    const idx = new Map<string, Buffer[]>();
    for (const [k, h, i] of names) idx.set(k, [...(idx.get(k) ?? []), u32(h), u32(i)]);
    load(
      'Name',
      'hash',
      [...idx].map(([k, v]) => [Buffer.from(k), Buffer.concat(v)] as [Buffer, Buffer]),
    );
  }
}

function adler32(b: Buffer): number {
  let s1 = 1;
  let s2 = 0;
  for (const c of b) {
    s1 = (s1 + c) % 65521;
    s2 = (s2 + s1) % 65521;
  }
  return ((s2 << 16) | s1) >>> 0;
}

/**
 * Writes Packages.db in rpm's ndb layout (lib/backend/ndb/rpmpkg.c): no ndb writer exists on this machine, so
 * this follows the format as rpm's source defines it; the headers themselves are rpm's.
 */
export function ndbDatabase(fromSqlite: string, file: string): void {
  const { blobs } = sqliteHeaders(fromSqlite);
  const PAGE = 4096;
  const slots = Buffer.alloc(PAGE);
  slots.write('RpmP', 0, 'latin1');
  slots.writeUInt32LE(0, 4); // version
  slots.writeUInt32LE(1, 8); // generation
  slots.writeUInt32LE(1, 12); // slot pages
  slots.writeUInt32LE(blobs.length + 1, 16);
  for (let o = 32; o < PAGE; o += 16) slots.write('Slot', o, 'latin1');
  const parts: Buffer[] = [slots];
  let blk = PAGE / 16;
  blobs.forEach(([h, blob], i) => {
    const cnt = Math.ceil((16 + blob.length + 12) / 16);
    const out = Buffer.alloc(cnt * 16);
    out.write('BlbS', 0, 'latin1');
    out.writeUInt32LE(h, 4);
    out.writeUInt32LE(1, 8);
    out.writeUInt32LE(blob.length, 12);
    blob.copy(out, 16);
    out.writeUInt32LE(adler32(out.subarray(0, cnt * 16 - 12)), cnt * 16 - 12);
    out.writeUInt32LE(blob.length, cnt * 16 - 8);
    out.write('BlbE', cnt * 16 - 4, 'latin1');
    const o = 32 + i * 16;
    slots.writeUInt32LE(h, o + 4);
    slots.writeUInt32LE(blk, o + 8);
    slots.writeUInt32LE(cnt, o + 12);
    blk += cnt;
    parts.push(out);
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.concat(parts));
}
