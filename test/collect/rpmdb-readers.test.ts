// ctrsafe's own RPM database readers against databases rpm and Berkeley DB wrote, with rpm itself as the oracle;
// and hostile databases, which end in "could not read", never a hang, a throw or an empty package list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HostRoot } from '../../src/host/host-root.js';
import { openTestSqlite } from '../helpers/test-sqlite.js';
import { readPackagesFrom, readRpmDatabase, type RpmDbResult } from '../../src/collect/read-rpmdb.js';
import { bufferAccess, DatabaseFormatError } from '../../src/parse/random-access.js';
import { rpmChangelogCves } from '../../src/parse/changelog-cves.js';
import {
  berkeleyDatabase,
  KERNEL_CORE_EL8_5,
  ndbDatabase,
  rpmDatabase,
  type RpmSpec,
} from '../helpers/rpmdb.js';

const PKGS: RpmSpec[] = [
  KERNEL_CORE_EL8_5,
  { name: 'runc', version: '1.1.12', release: '1.el9_3', epoch: 4 },
  { name: 'podman', version: '4.9.4', release: '13.el9_4', epoch: 4 },
  { name: 'bash', version: '5.1.8', release: '9.el9' },
];
const NAMES = ['kernel-core', 'runc', 'podman', 'apptainer'];

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), `ctrsafe-${p}-`));
const sqliteTree = (() => {
  const t = tmp('rpmtree');
  rpmDatabase(path.join(t, 'var/lib/rpm'), PKGS);
  return t;
})();
const SQLITE = path.join(sqliteTree, 'var/lib/rpm/rpmdb.sqlite');

/** rpm's own reading of the same database (python3-rpm), name -> [E:]V-R, arch, source RPM. */
function oracle(dbpath: string, backend = 'sqlite'): Map<string, string> {
  const out = execFileSync(
    '/usr/bin/python3',
    [
      '-c',
      `import rpm\nrpm.addMacro('_dbpath', ${JSON.stringify(dbpath)})\nrpm.addMacro('_db_backend', '${backend}')\nts = rpm.TransactionSet()\nts.setVSFlags(-1)\nfor h in ts.dbMatch():\n    e = h['epochnum']\n    print(h['name'], ('%d:' % e if e else '') + h['version'] + '-' + h['release'], h['arch'], h['sourcerpm'])`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return new Map(
    out
      .trim()
      .split('\n')
      .map((l) => [l.split(' ')[0]!, l.split(' ').slice(1).join(' ')]),
  );
}

function read(tree: string): Extract<RpmDbResult, { kind: 'read' }> {
  const r = readRpmDatabase(HostRoot.open(tree), NAMES, () => true);
  assert.equal(r.kind, 'read', JSON.stringify(r));
  return r as Extract<RpmDbResult, { kind: 'read' }>;
}

function agreesWithRpm(tree: string, dbpath: string, backend?: string): void {
  const want = oracle(dbpath, backend);
  assert.ok(want.has('kernel-core') && want.has('runc'), `rpm reads ${[...want.keys()].join(', ')}`);
  const got = read(tree).packages;
  assert.deepEqual(got.map((p) => p.name).sort(), ['kernel-core', 'podman', 'runc'], 'only the wanted names');
  for (const p of got) assert.equal(`${p.evr} ${p.arch} ${p.sourcerpm}`, want.get(p.name), p.name);
  const k = got.find((p) => p.name === 'kernel-core')!;
  assert.equal(k.sourcerpm, 'kernel-4.18.0-348.12.2.el8_5.src.rpm');
  assert.deepEqual(
    [...rpmChangelogCves(k.changelog, new Set(['CVE-2022-0185', 'CVE-2021-22555', 'CVE-2024-1086']))],
    [
      ['CVE-2022-0185', '4.18.0-348.12.2.el8_5'],
      ['CVE-2021-22555', '4.18.0-348.2.1.el8_5'],
    ],
  );
}

test('rpmdb.sqlite (RHEL 9): the same names, epochs, versions and source RPMs as rpm reads', () => {
  agreesWithRpm(sqliteTree, path.dirname(SQLITE));
  // Without rpm's Name index table every header is read, with the same answer.
  const t = tmp('rpmtree-noname');
  fs.mkdirSync(path.join(t, 'var/lib/rpm'), { recursive: true });
  fs.copyFileSync(SQLITE, path.join(t, 'var/lib/rpm/rpmdb.sqlite'));
  const db = openTestSqlite(path.join(t, 'var/lib/rpm/rpmdb.sqlite'));
  db.exec('DROP TABLE Name; VACUUM');
  db.close();
  assert.deepEqual(
    read(t)
      .packages.map((p) => `${p.name} ${p.evr}`)
      .sort(),
    ['kernel-core 4.18.0-348.12.2.el8_5', 'podman 4:4.9.4-13.el9_4', 'runc 4:1.1.12-1.el9_3'],
  );
});

test('rpmdb.sqlite with a write-ahead log: committed frames count, a torn frame does not', () => {
  const t = tmp('rpmtree-wal');
  const dir = path.join(t, 'var/lib/rpm');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'rpmdb.sqlite');
  fs.copyFileSync(SQLITE, file);
  // A transaction rpm committed to the WAL but not yet checkpointed: runc's header replaced by podman's.
  const db = openTestSqlite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  const podman = db
    .prepare("SELECT p.hnum, p.blob FROM Packages p JOIN Name n ON n.hnum = p.hnum WHERE n.key = 'podman'")
    .all()[0] as { blob: Buffer };
  db.prepare("UPDATE Packages SET blob = ? WHERE hnum = (SELECT hnum FROM Name WHERE key = 'runc')").run(
    podman.blob,
  );
  // Copy while the connection is open: the change lives only in the -wal file.
  const snap = tmp('rpmtree-walcopy');
  fs.mkdirSync(path.join(snap, 'var/lib/rpm'), { recursive: true });
  for (const f of ['rpmdb.sqlite', 'rpmdb.sqlite-wal'])
    fs.copyFileSync(path.join(dir, f), path.join(snap, 'var/lib/rpm', f));
  db.close();
  assert.ok(
    fs.statSync(path.join(snap, 'var/lib/rpm/rpmdb.sqlite-wal')).size > 0,
    'the change is in the WAL',
  );
  const names = read(snap)
    .packages.map((p) => p.name)
    .sort();
  assert.deepEqual(names, ['kernel-core', 'podman', 'podman'], 'the WAL frame replaced runc');
  // A torn last frame (a crash mid-write) fails its checksum: the database as it was before is read.
  const wal = path.join(snap, 'var/lib/rpm/rpmdb.sqlite-wal');
  const w = fs.readFileSync(wal);
  w[w.length - 100]! ^= 0xff;
  fs.writeFileSync(wal, w);
  assert.deepEqual(
    read(snap)
      .packages.map((p) => p.name)
      .sort(),
    ['kernel-core', 'podman', 'runc'],
  );
});

for (const type of ['hash', 'btree'] as const)
  for (const bigEndian of [false, true])
    test(`Berkeley DB ${type} Packages (${bigEndian ? 'big' : 'little'}-endian, written by db_load): as rpm reads it`, () => {
      const t = tmp('rpmtree-bdb');
      const dir = path.join(t, 'var/lib/rpm');
      // Small pages put every header on overflow pages, as on a real RHEL 7 node.
      berkeleyDatabase(SQLITE, dir, { type, bigEndian, pageSize: 1024, withName: type === 'hash' });
      if (type === 'hash' && !bigEndian) agreesWithRpm(t, dir, 'bdb_ro');
      else
        assert.deepEqual(
          read(t)
            .packages.map((p) => `${p.name} ${p.evr}`)
            .sort(),
          ['kernel-core 4.18.0-348.12.2.el8_5', 'podman 4:4.9.4-13.el9_4', 'runc 4:1.1.12-1.el9_3'],
        );
    });

test('ndb Packages.db (SUSE): the headers rpm wrote, in the layout of rpm lib/backend/ndb/rpmpkg.c', () => {
  const t = tmp('rpmtree-ndb');
  ndbDatabase(SQLITE, path.join(t, 'usr/lib/sysimage/rpm/Packages.db'));
  assert.deepEqual(
    read(t)
      .packages.map((p) => `${p.name} ${p.evr}`)
      .sort(),
    ['kernel-core 4.18.0-348.12.2.el8_5', 'podman 4:4.9.4-13.el9_4', 'runc 4:1.1.12-1.el9_3'],
  );
});

/** A copy of the SQLite tree with some bytes of rpmdb.sqlite replaced. */
function mangled(name: string, edit: (b: Buffer) => void, file = 'rpmdb.sqlite', from = SQLITE): string {
  const t = tmp(`rpmtree-${name}`);
  fs.mkdirSync(path.join(t, 'var/lib/rpm'), { recursive: true });
  const b = fs.readFileSync(from);
  edit(b);
  fs.writeFileSync(path.join(t, 'var/lib/rpm', file), b);
  return t;
}

function problemOf(tree: string): string {
  const started = Date.now();
  const r = readRpmDatabase(HostRoot.open(tree), NAMES, () => true);
  assert.ok(Date.now() - started < 5000, 'a hostile database is refused promptly');
  assert.equal(r.kind, 'problem', JSON.stringify(r).slice(0, 300));
  return (r as { problem: string }).problem;
}

test('hostile SQLite databases: loops, lies and truncation are "could not read", never a hang or a throw', () => {
  const pageSize = fs.readFileSync(SQLITE).readUInt16BE(16);
  // The schema's root page made an interior page whose every child is itself.
  assert.match(
    problemOf(
      mangled('loop', (b) => {
        b[100] = 0x05;
        b.writeUInt16BE(1, 103);
        b.writeUInt32BE(1, 108);
        b.writeUInt16BE(200, 112);
        b.writeUInt32BE(1, 200);
      }),
    ),
    /could not read the RPM database .*(loops|too deep)/,
  );
  assert.match(problemOf(mangled('short', (b) => b.fill(0, 16, 18))), /could not read.*page size/);
  const t = mangled('trunc', () => undefined);
  fs.truncateSync(path.join(t, 'var/lib/rpm/rpmdb.sqlite'), pageSize * 2 + 10);
  assert.match(problemOf(t), /could not read/);
  assert.match(problemOf(mangled('magic', (b) => b.write('SQLite format 2', 0))), /not an SQLite 3 database/);
  // Every byte of the first pages flipped in turn: an answer or a format error each time, nothing else.
  const base = fs.readFileSync(SQLITE);
  let refused = 0;
  for (let i = 0; i < Math.min(base.length, pageSize * 3); i += 5) {
    const b = Buffer.from(base);
    b[i] = b[i]! ^ 0x5a;
    try {
      readPackagesFrom('rpmdb.sqlite', bufferAccess(b), null, NAMES, () => true);
    } catch (e) {
      assert.ok(e instanceof DatabaseFormatError || e instanceof RangeError, `byte ${i}: ${String(e)}`);
      refused++;
    }
  }
  assert.ok(refused > 0, 'some flips are refused');
});

test('hostile Berkeley DB and ndb files, and a database that is a link out of the tree', () => {
  const t = tmp('rpmtree-bdbsrc');
  berkeleyDatabase(SQLITE, path.join(t, 'db'), { type: 'hash', pageSize: 1024, withName: false });
  const pk = path.join(t, 'db/Packages');
  // Every overflow page's next pointer aimed at itself.
  const loop = mangled(
    'bdbloop',
    (b) => {
      for (let p = 1024; p + 1024 <= b.length; p += 1024)
        if (b[p + 25] === 7) b.writeUInt32LE(b.readUInt32LE(p + 8), p + 16);
    },
    'Packages',
    pk,
  );
  assert.match(problemOf(loop), /could not read the RPM database .*Packages: .*(loops|too long|past)/);
  assert.match(problemOf(mangled('bdbenc', (b) => (b[24] = 1), 'Packages', pk)), /encrypted/);
  const n = tmp('rpmtree-ndbsrc');
  ndbDatabase(SQLITE, path.join(n, 'Packages.db'));
  const bad = mangled(
    'ndbbad',
    (b) => b.writeUInt32LE(0xfffffff0, 32 + 8),
    'Packages.db',
    path.join(n, 'Packages.db'),
  );
  assert.match(problemOf(bad), /points outside the file/);
  // A tree whose rpmdb.sqlite is a link to the host's own file: not followed.
  const link = tmp('rpmtree-link');
  fs.mkdirSync(path.join(link, 'var/lib/rpm'), { recursive: true });
  fs.symlinkSync(SQLITE, path.join(link, 'var/lib/rpm/rpmdb.sqlite'));
  const r = readRpmDatabase(HostRoot.open(link), NAMES, () => true);
  assert.notEqual(r.kind, 'read', 'an absolute link leaves the tree: resolved inside it, where nothing is');
});
