// `db update --from` attacked as issue 13 did: every poisoning that once went through quietly is refused or shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readStore } from '../../src/advisories/advisory-store.js';
import { runCli } from '../helpers/run-cli.js';
import { runMain } from '../helpers/run-main.js';
import { writeTree } from '../helpers/tree.js';
import { writeSharedHeaderBomb, writeZip } from '../helpers/write-zip.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-dbx-'));
const KERNEL_CVSS_CRITICAL = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H';

async function status(db: string) {
  const r = await runMain(['db', 'status', '--db', db, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as {
    imported: number;
    unreviewed: number;
    stale: boolean;
    newest_record: string | null;
    sources: { id: string; origin: string; date: string; records: number; license: string }[];
  };
}

const osv = (over: Record<string, unknown>) => ({
  schema_version: '1.6.0',
  modified: '2026-11-01T00:00:00Z',
  summary: 'imported test record',
  affected: [
    {
      package: { ecosystem: 'Go', name: 'github.com/opencontainers/runc' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '9.9.9' }] }],
    },
  ],
  ...over,
});

test('a record with a shipped id does not replace the reviewed record without --replace-shipped', async () => {
  const db = tmp();
  // The issue 13 attack: a plain OSV record named CVE-2024-1086 whose range ends at 0.0.1 clears every kernel.
  const fake = osv({
    id: 'CVE-2024-1086',
    affected: [
      {
        package: { ecosystem: 'Linux', name: 'Kernel' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '0.0.1' }] }],
      },
    ],
  });
  const from = writeTree({ 'fake.json': JSON.stringify(fake) });
  const r = await runMain(['db', 'update', '--from', from, '--db', db]);
  assert.equal(r.code, 4, r.stdout);
  assert.match(r.stdout, /REPLACES 1 shipped reviewed record\(s\) with the same id:\n {2}CVE-2024-1086/);
  assert.match(r.stderr, /would replace 1 shipped record\(s\).*--replace-shipped.*the database is unchanged/);
  assert.equal(fs.existsSync(path.join(db, 'store.json')), false, 'nothing written');
  const ok = await runMain(['db', 'update', '--from', from, '--db', db, '--replace-shipped']);
  assert.equal(ok.code, 0, ok.stderr);
  const stored = readStore(db)!.advisories.find((a) => a.id === 'CVE-2024-1086')!;
  assert.equal(stored.ctrsafe.imported?.from, from, 'an accepted replacement is still marked as imported');
  assert.equal(stored.ctrsafe.known_exploited, undefined);
});

test("an import's own database_specific.ctrsafe is ignored: never reviewed, never known-exploited by its own word", async () => {
  const db = tmp();
  const rec = osv({
    id: 'GHSA-FAKE-REVIEWED',
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:L' }],
    database_specific: {
      ctrsafe: {
        severity: 'critical',
        preconditions: { setuid_mode: true },
        confirmed_from: ['https://example.invalid/trust-me'],
        unconfirmed: [],
        known_exploited: { catalog: 'CISA KEV', date_added: '2026-01-01' },
      },
      ctrsafe_import: { from: 'reviewed by the ctrsafe team', at: '2020-01-01' },
    },
    affected: [
      {
        package: { ecosystem: 'Go', name: 'github.com/opencontainers/runc' },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '9.9.9' }] }],
        database_specific: { ctrsafe_target: 'kernel', ctrsafe_target_release: '6' },
      },
    ],
  });
  const r = await runMain([
    'db',
    'update',
    '--from',
    writeTree({ 'r.json': JSON.stringify(rec) }),
    '--db',
    db,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const a = readStore(db)!.advisories[0]!;
  assert.equal(a.ctrsafe.severity, 'low', "severity from the record's CVSS vector, not its ctrsafe block");
  assert.deepEqual(a.ctrsafe.preconditions, {});
  assert.equal(a.ctrsafe.known_exploited, undefined);
  assert.match(a.ctrsafe.unconfirmed.join(' '), /not reviewed/);
  assert.notEqual(a.ctrsafe.imported?.from, 'reviewed by the ctrsafe team');
  assert.deepEqual(a.affected[0]!.database_specific, { ctrsafe_target: 'runc' });
  assert.match(r.stdout, /UNREVIEWED: 1 new record/);
});

test('a record dated in the future is refused and cannot silence the staleness warning', async () => {
  const db = tmp();
  const before = await status(db);
  const r = await runMain([
    'db',
    'update',
    '--from',
    writeTree({ 'f.json': JSON.stringify(osv({ id: 'GHSA-FUTURE', modified: '2099-01-01T00:00:00Z' })) }),
    '--db',
    db,
  ]);
  assert.equal(r.code, 4);
  assert.match(r.stderr, /"modified" 2099-01-01T00:00:00Z is in the future/);
  assert.equal((await status(db)).newest_record, before.newest_record);
  // A store edited by hand (or by an older ctrsafe) with a 2099 record still reads as stale when the rest is old.
  fs.writeFileSync(
    path.join(db, 'store.json'),
    JSON.stringify({
      schema: 'ctrsafe.advisory-store/2',
      meta: { schema: 'ctrsafe.advisory-store/2', updated_at: '2099-01-01T00:00:00Z', imports: [] },
      advisories: [
        {
          ...osv({ id: 'GHSA-FUTURE', modified: '2099-01-01T00:00:00Z' }),
          database_specific: { ctrsafe: { severity: 'low', confirmed_from: ['x'] } },
        },
      ],
      distro: [],
    }),
  );
  assert.equal(
    (await status(db)).newest_record,
    before.newest_record,
    'the 2099 date is not taken as the newest record',
  );
});

test('1,000 entries sharing one 8 MiB member are refused at once, within a 96 MiB heap', () => {
  const dir = tmp();
  const zip = path.join(dir, 'bomb.zip');
  writeSharedHeaderBomb(zip, 8 * 1024 * 1024, 1000);
  const t0 = Date.now();
  const r = runCli(['db', 'update', '--from', zip, '--db', tmp()], {
    NODE_OPTIONS: '--max-old-space-size=96',
  });
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /share bytes \(overlapping or repeated local headers: a zip bomb\)/);
  assert.ok(Date.now() - t0 < 10_000, `refused in ${Date.now() - t0} ms`);
});

test('an export is read entry by entry: 400 MiB of JSON in 400 members imports under a 96 MiB heap', () => {
  const dir = tmp();
  const zip = path.join(dir, 'big.zip');
  const pad = 'x'.repeat(1024 * 1024);
  function* members() {
    for (let i = 0; i < 400; i++)
      yield {
        name: `GHSA-BIG-${i}.json`,
        data: Buffer.from(
          JSON.stringify({
            id: `GHSA-BIG-${i}`,
            summary: 'padding',
            details: pad,
            affected: [
              {
                package: { ecosystem: 'npm', name: 'left-pad' },
                ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }],
              },
            ],
          }),
        ),
      };
  }
  writeZip(zip, members());
  const r = runCli(['db', 'update', '--from', zip, '--db', tmp()], {
    NODE_OPTIONS: '--max-old-space-size=96',
  });
  assert.equal(r.code, 0, r.stderr.slice(0, 400));
  assert.match(r.stdout, /400 records read .* 400 not container-relevant/);
});

test('zip64: an export with more than 65,535 entries (written by Python zipfile) and a small forced-zip64 one', async () => {
  const dir = tmp();
  const zip = path.join(dir, 'all.zip');
  const py = [
    'import json, sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED)',
    'for i in range(70000):',
    '    z.writestr("n/NPM-%d.json" % i, json.dumps({"id": "NPM-%d" % i, "summary": "s", "affected": [{"package": {"ecosystem": "npm", "name": "x"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}]}))',
    'z.writestr("GHSA-Z64.json", sys.argv[2])',
    'z.close()',
  ].join('\n');
  const py_r = spawnSync('/usr/bin/python3', ['-c', py, zip, JSON.stringify(osv({ id: 'GHSA-Z64' }))]);
  assert.equal(py_r.status, 0, py_r.stderr.toString());
  const r = await runMain(['db', 'update', '--from', zip, '--db', tmp()]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /70001 records read .* 1 new, .* 70000 not container-relevant/);
  const small = path.join(dir, 'small64.zip');
  writeZip(small, [{ name: 'GHSA-Z64B.json', data: Buffer.from(JSON.stringify(osv({ id: 'GHSA-Z64B' }))) }], {
    zip64: true,
  });
  const s = await runMain(['db', 'update', '--from', small, '--db', tmp()]);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /1 new/);
});

test('an invented critical CVE for every Ubuntu 22.04 kernel is listed as unreviewed, and --dry-run writes nothing', async () => {
  const db = tmp();
  const invented = {
    id: 'UBUNTU-CVE-2026-99999',
    upstream: ['CVE-2026-99999'],
    published: '2026-11-30T00:00:00Z',
    modified: '2026-11-30T00:00:00Z',
    summary: 'remote root in every Ubuntu kernel',
    severity: [{ type: 'CVSS_V3', score: KERNEL_CVSS_CRITICAL }],
    affected: [
      {
        package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'linux' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
      },
    ],
  };
  const from = writeTree({ 'u.json': JSON.stringify(invented) });
  const dry = await runMain(['db', 'update', '--from', from, '--db', db, '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(
    dry.stdout,
    /UNREVIEWED: 1 new record \(1 critical\)[^\n]*\n {2}UBUNTU-CVE-2026-99999 CRITICAL kernel \(Ubuntu:22\.04:LTS\)/,
  );
  assert.match(dry.stdout, /--dry-run: nothing written/);
  assert.equal(fs.existsSync(path.join(db, 'store.json')), false);
  assert.equal((await runMain(['db', 'update', '--from', from, '--db', db])).code, 0);
  const s = await status(db);
  assert.equal(s.unreviewed, 1);
  assert.match(
    (await runMain(['db', 'status', '--db', db])).stdout,
    /1 imported into .*, 1 of them unreviewed/,
  );
});

test('an OSV record of a CVE the reviewed records describe adds distribution rows, not a second advisory', async () => {
  const db = tmp();
  const alma = {
    id: 'ALSA-2099:0001',
    related: ['CVE-2024-1086'],
    published: '2026-11-01T00:00:00Z',
    summary: 'kernel update',
    affected: [
      {
        package: { ecosystem: 'AlmaLinux:8', name: 'kernel-core' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '4.18.0-513.24.1.el8_9' }] }],
      },
      {
        package: { ecosystem: 'AlmaLinux:10', name: 'kernel' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '6.12.0-1.el10' }] }],
      },
    ],
  };
  const r = await runMain([
    'db',
    'update',
    '--from',
    writeTree({ 'a.json': JSON.stringify(alma) }),
    '--db',
    db,
  ]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /1 covered by reviewed records; distribution rows: almalinux-osv 1/);
  const store = readStore(db)!;
  assert.equal(store.advisories.length, 0);
  assert.deepEqual(
    store.distro
      .find((s) => s.id === 'almalinux-osv')!
      .fixes.map((f) => [f.cve, f.ecosystem, f.package, f.fixed]),
    [['CVE-2024-1086', 'AlmaLinux:10', 'kernel', '6.12.0-1.el10']],
    'the AlmaLinux 8 row equals the shipped one and is not repeated',
  );
  const src = (await status(db)).sources.find((s) => s.id === 'almalinux-osv')!;
  assert.equal(src.origin, 'imported');
  assert.equal(src.license, 'MIT');
});

test('a distribution row that contradicts a shipped one is listed and needs --replace-shipped', async () => {
  const db = tmp();
  const lie = {
    id: 'ALSA-2099:0002',
    related: ['CVE-2024-1086'],
    published: '2026-11-01T00:00:00Z',
    summary: 'kernel update',
    affected: [
      {
        package: { ecosystem: 'AlmaLinux:8', name: 'kernel' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '4.18.0-1.el8' }] }],
      },
    ],
  };
  const r = await runMain([
    'db',
    'update',
    '--from',
    writeTree({ 'a.json': JSON.stringify(lie) }),
    '--db',
    db,
  ]);
  assert.equal(r.code, 4);
  assert.match(
    r.stdout,
    /CHANGES 1 shipped distribution row\(s\):\n {2}CVE-2024-1086 AlmaLinux:8 kernel: fixed 4\.18\.0-513\.24\.1\.el8_9 \(almalinux-osv\) → fixed 4\.18\.0-1\.el8 \(almalinux-osv\)/,
  );
});

test('the Debian security tracker JSON and a tar.xz of OSV records are read', async () => {
  const db = tmp();
  const tracker = {
    linux: {
      'CVE-2024-1086': {
        releases: {
          bookworm: {
            status: 'resolved',
            fixed_version: '6.1.76-1',
            urgency: 'not yet assigned',
            repositories: { bookworm: '6.1.129-1' },
          },
          trixie: {
            status: 'resolved',
            fixed_version: '6.6.15-1',
            urgency: 'not yet assigned',
            repositories: {},
          },
          buster: { status: 'open', urgency: 'not yet assigned', repositories: {} },
          sid: { status: 'resolved', fixed_version: '6.6.15-1', repositories: {} },
        },
      },
      'CVE-2099-0001': { releases: { bookworm: { status: 'open', repositories: {} } } },
    },
    nginx: { 'CVE-2024-1086': { releases: { bookworm: { status: 'open', repositories: {} } } } },
  };
  const file = path.join(tmp(), 'tracker.json');
  fs.writeFileSync(file, JSON.stringify(tracker));
  // Shipped: buster fixed in 4.19.316-1 (DLA-3840-1); this export says open. Listed, refused without the flag.
  const r = await runMain(['db', 'update', '--from', file, '--db', db]);
  assert.equal(r.code, 4, r.stdout);
  assert.match(
    r.stdout,
    /CHANGES 1 shipped distribution row\(s\):\n {2}CVE-2024-1086 Debian:10 linux: fixed 4\.19\.316-1 \(debian-tracker\) → unfixed \(debian-tracker\)/,
  );
  const ok = await runMain(['db', 'update', '--from', file, '--db', db, '--replace-shipped']);
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);
  const rows = readStore(db)!.distro.find((s) => s.id === 'debian-tracker')!.fixes;
  assert.deepEqual(
    rows.map((f) => [f.ecosystem, f.status, f.fixed ?? null]),
    [['Debian:10', 'unfixed', null]],
    'bookworm and trixie equal shipped verdicts (tracker and changelogs) and are not repeated; sid, the CVE without a record and nginx are left out',
  );
  const dir = writeTree({ 'osv/cve/2026/GHSA-TAR-1.json': JSON.stringify(osv({ id: 'GHSA-TAR-1' })) });
  const tar = path.join(tmp(), 'osv-all.tar.xz');
  assert.equal(spawnSync('tar', ['-cJf', tar, '-C', dir, 'osv']).status, 0);
  const t = await runMain(['db', 'update', '--from', tar, '--db', db]);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /1 records read from .*osv-all\.tar\.xz: 1 new/);
  const s = await status(db);
  assert.ok(s.sources.some((x) => x.id === 'debian-tracker' && x.origin === 'imported'));
});

test('db status lists every distribution source with its date, row count and licence', async () => {
  const s = await status(tmp());
  for (const src of s.sources) {
    assert.match(src.date, /^\d{4}-\d{2}-\d{2}$/, src.id);
    assert.ok(src.records >= 0 && src.license.length > 0, src.id);
  }
  const text = (await runMain(['db', 'status', '--db', tmp()])).stdout;
  assert.match(text, /distribution data:\n/);
  for (const src of s.sources)
    assert.ok(text.includes(`  ${src.id} (built-in): ${src.records} rows, newest ${src.date}`), src.id);
});

test('a database directory others can write is refused before anything is written', async () => {
  const db = tmp();
  fs.chmodSync(db, 0o777);
  const r = await runMain([
    'db',
    'update',
    '--from',
    writeTree({ 'r.json': JSON.stringify(osv({ id: 'GHSA-W' })) }),
    '--db',
    db,
  ]);
  assert.equal(r.code, 4);
  assert.match(r.stderr, /others can write this directory \(owner .*, mode 0777\)/);
  const huge = path.join(tmp(), 'huge.json');
  fs.writeFileSync(huge, '[');
  fs.truncateSync(huge, 300 * 1024 * 1024);
  const h = await runMain(['db', 'update', '--from', huge, '--db', tmp()]);
  assert.equal(h.code, 4);
  assert.match(h.stderr, /300 MiB is larger than the 256 MiB a JSON input may be/);
});

test('a store file another user owns is not loaded: whoever planted it would decide every verdict', async (t) => {
  if (process.geteuid?.() !== 0) return t.skip('needs root to give the file to another user');
  const db = tmp();
  assert.equal(
    (
      await runMain([
        'db',
        'update',
        '--from',
        writeTree({ 'r.json': JSON.stringify(osv({ id: 'GHSA-P' })) }),
        '--db',
        db,
      ])
    ).code,
    0,
  );
  assert.equal((await status(db)).imported, 1);
  fs.chownSync(path.join(db, 'store.json'), 65534, 65534);
  const s = readStore(db)!;
  assert.equal(s.advisories.length, 0);
  assert.match(s.problems.join('\n'), /not a regular file of ours/);
});
