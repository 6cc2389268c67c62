// `ctrsafe db update` imports OSV records offline, all or nothing; `db status` says what the database holds and how old it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main.js';
import { runMain } from '../helpers/run-main.js';
import { writeTree } from '../helpers/tree.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-db-'));

/** OSV records as osv.dev and the GitHub advisory database publish them: no ctrsafe fields. */
const runcRecord = {
  schema_version: '1.6.0',
  id: 'GHSA-TEST-runc',
  modified: '2026-11-01T00:00:00Z',
  aliases: ['CVE-2099-0001'],
  summary: 'test runc flaw',
  affected: [
    {
      package: { ecosystem: 'Go', name: 'github.com/opencontainers/runc' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '9.9.9' }] }],
    },
  ],
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H' }],
  references: [{ type: 'ADVISORY', url: 'https://example.invalid/GHSA-TEST-runc' }],
};
const npmRecord = {
  id: 'GHSA-TEST-npm',
  modified: '2026-11-01T00:00:00Z',
  summary: 'x',
  affected: [
    {
      package: { ecosystem: 'npm', name: 'left-pad' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }],
    },
  ],
};

async function status(db: string): Promise<{
  imported: number;
  total: number;
  stale: boolean;
  age_days: number | null;
  imports: unknown[];
}> {
  const r = await runMain(['db', 'status', '--db', db, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ReturnType<typeof status>;
}

test('db update imports container-relevant OSV records, skips the rest, and check uses them', async () => {
  const db = tmp();
  const from = writeTree({ 'runc.json': JSON.stringify(runcRecord), 'npm.json': JSON.stringify(npmRecord) });
  const before = await status(db);
  const r = await runMain(['db', 'update', '--from', from, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /2 records read from .*: 1 new, 0 updated, 0 unchanged, 1 not container-relevant/);
  assert.match(r.stdout, /UNREVIEWED: 1 new record \(1 high\)[^\n]*\n {2}GHSA-TEST-runc HIGH runc \(Go\)/);
  const after = await status(db);
  assert.equal(after.imported, 1);
  assert.equal(after.total, before.total + 1);
  // Import again: unchanged.
  assert.match(
    (await runMain(['db', 'update', '--from', from, '--db', db])).stdout,
    /0 new, 0 updated, 1 unchanged/,
  );
  // The imported record is matched: a host tree with runc 1.1.5 from an upstream build.
  const host = writeTree({
    'etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
    'usr/bin/runc': '',
    '.ctrsafe-snapshot.json': JSON.stringify({
      schema: 'ctrsafe.snapshot/1',
      files: {},
      commands: {
        '/usr/bin/runc --version': {
          argv: ['/usr/bin/runc', '--version'],
          exitCode: 0,
          stdout: 'runc version 1.1.5\n',
          stderr: '',
        },
      },
    }),
  });
  const check = await runMain(['check', '--root', host, '--db', db, '--format', 'json']);
  const v = (
    JSON.parse(check.stdout) as { vulnerabilities: { id: string; status: string; severity: string }[] }
  ).vulnerabilities.find((x) => x.id === 'GHSA-TEST-runc');
  assert.equal(v?.status, 'affected');
  assert.equal(v?.severity, 'high', 'severity from the CVSS v3.1 vector (8.8)');
});

test('db update reads a zip of an OSV export', async () => {
  const db = tmp();
  const dir = tmp();
  fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify(runcRecord));
  const zip = path.join(dir, 'all.zip');
  const py =
    'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED)\nz.write(sys.argv[2], "GHSA-TEST-runc.json")\nz.writestr("README.txt", "not json")\nz.close()\n';
  assert.equal(spawnSync('/usr/bin/python3', ['-c', py, zip, path.join(dir, 'a.json')]).status, 0);
  const r = await runMain(['db', 'update', '--from', zip, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /1 new/);
});

test('malformed input is refused with a clear message and the old database stays', async () => {
  const db = tmp();
  assert.equal(
    (
      await runMain([
        'db',
        'update',
        '--from',
        writeTree({ 'ok.json': JSON.stringify(runcRecord) }),
        '--db',
        db,
      ])
    ).code,
    0,
  );
  const cases: Record<string, string | Buffer> = {
    'bad-json.json': '{"id": "X", ',
    'no-ranges.json': JSON.stringify({
      id: 'X',
      summary: 's',
      affected: [{ package: { ecosystem: 'Go', name: 'github.com/opencontainers/runc' } }],
    }),
    'unknown-eco.json': JSON.stringify({
      id: 'Y',
      summary: 's',
      affected: [
        {
          package: { ecosystem: 'Frobnix', name: 'runc' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
        },
      ],
    }),
  };
  for (const [name, body] of Object.entries(cases)) {
    const from = writeTree({
      'good.json': JSON.stringify({ ...runcRecord, id: 'GHSA-TEST-second' }),
      [name]: body,
    });
    const r = await runMain(['db', 'update', '--from', from, '--db', db]);
    assert.equal(r.code, 4, `${name}: ${r.stdout}`);
    assert.match(r.stderr, /db update refused: 1 malformed input; the database is unchanged/);
    assert.match(r.stderr, /not valid JSON|neither ranges nor versions|unknown ecosystem "Frobnix"/);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
    assert.equal((await status(db)).imported, 1, `${name}: the old database stays`);
  }
  const big = path.join(tmp(), 'huge.json');
  fs.writeFileSync(big, '');
  fs.truncateSync(big, 100 * 1024 * 1024);
  const r = await runMain(['db', 'update', '--from', big, '--db', db]);
  assert.equal(r.code, 4);
  assert.match(r.stderr, /not a zip, tar or JSON file/);
  assert.equal((await status(db)).imported, 1);
});

test('a zip bomb is refused before it is inflated past its limit', async () => {
  const dir = tmp();
  const zip = path.join(dir, 'bomb.zip');
  // 200 MiB of zeros compresses to ~200 KiB; the entry is over the 8 MiB a record may be.
  const py =
    'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED)\nz.writestr("bomb.json", b"0" * (200 * 1024 * 1024))\nz.close()\n';
  assert.equal(spawnSync('/usr/bin/python3', ['-c', py, zip]).status, 0);
  const r = await runMain(['db', 'update', '--from', zip, '--db', tmp()]);
  assert.equal(r.code, 4);
  assert.match(r.stderr, /larger than 8388608 bytes/);
});

test('a database older than 90 days is flagged in every report', async () => {
  const old = writeTree({
    'old.json': JSON.stringify({
      ...runcRecord,
      modified: '2020-01-01T00:00:00Z',
      database_specific: {
        ctrsafe: { severity: 'high', preconditions: {}, confirmed_from: ['https://example.invalid'] },
      },
    }),
  });
  const r = await runMain([
    'check',
    '--root',
    writeTree({ 'etc/os-release': 'ID=debian\n' }),
    '--advisories',
    old,
    '--format',
    'json',
  ]);
  const adv = (JSON.parse(r.stdout) as { advisories: { stale: boolean; age_days: number } }).advisories;
  assert.equal(adv.stale, true);
  assert.ok(adv.age_days > 90);
  const text = await runMain([
    'check',
    '--root',
    writeTree({ 'etc/os-release': 'ID=debian\n' }),
    '--advisories',
    old,
  ]);
  assert.match(text.stdout, /WARNING: the advisory database is \d+ days old/);
  const fresh = await status(tmp());
  assert.equal(fresh.stale, false, 'the shipped database is fresh');
});

test('db update shows the records it has read on a terminal, and nothing with --quiet or on a pipe', async () => {
  const from = writeTree(
    Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [
        `r${i}.json`,
        JSON.stringify({ ...npmRecord, id: `GHSA-TEST-${i}` }),
      ]),
    ),
  );
  const run = async (stderr: { isTTY?: boolean }, ...extra: string[]) => {
    const err: string[] = [];
    const out: string[] = [];
    const code = await main({
      argv: ['db', 'update', '--from', from, '--db', tmp(), '--dry-run', ...extra],
      env: {},
      stdout: { write: (s: string) => out.push(s) },
      stderr: { ...stderr, write: (s: string) => err.push(s) },
    });
    assert.equal(code, 0, err.join(''));
    assert.match(out.join(''), /30 records read from/);
    return err;
  };
  const tty = await run({ isTTY: true });
  assert.match(
    tty[0]!,
    new RegExp(
      `^\\rreading ${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 1 record, [\\d,]+/s, 0:00\\x1b\\[K$`,
    ),
  );
  assert.equal(tty.at(-1), '\r\x1b[K', 'the line is cleared before the summary');
  assert.deepEqual(await run({ isTTY: true }, '--quiet'), []);
  assert.deepEqual(await run({}), []);
});
