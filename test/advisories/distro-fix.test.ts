// The distribution fix data format: every shipped source validates, rows round-trip, malformed rows are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  packedRows,
  parseDistroFixSource,
  serializeDistroFixSource,
  unpackDistroFixSource,
  type DistroFixSource,
  type PackedDistroFixSource,
} from '../../src/advisories/distro-fix.js';
import { DISTRO_FIX_JSON } from '../../src/advisories/database.generated.js';

const sample: DistroFixSource = {
  schema: 'ctrsafe.distro-fixes/1',
  id: 'almalinux-osv',
  publisher: 'AlmaLinux OS Foundation',
  repository: 'AlmaLinux/osv-database',
  revision: '0123456789abcdef0123456789abcdef01234567',
  date: '2026-08-01',
  license: 'MIT',
  fixes: [
    {
      cve: 'CVE-2024-1086',
      ecosystem: 'AlmaLinux:8',
      package: 'kernel',
      status: 'fixed',
      fixed: '4.18.0-513.24.1.el8_9',
      advisory: 'ALSA-2024:1607',
      date: '2024-04-03',
    },
    { cve: 'CVE-2022-0847', ecosystem: 'Debian:10', package: 'linux', status: 'not-affected' },
  ],
};

test('a source round-trips through its file form', () => {
  const text = serializeDistroFixSource(sample);
  const back = parseDistroFixSource(JSON.parse(text));
  assert.ok(back.ok);
  assert.deepEqual(back.source, sample);
  // One row per line keeps the diff of a rebuilt source readable.
  assert.equal(text.split('\n').filter((l) => l.trim().startsWith('["CVE-')).length, 2);
});

test('malformed rows are refused with the row named', () => {
  const bad = (fixes: unknown[]) =>
    parseDistroFixSource({ ...JSON.parse(serializeDistroFixSource(sample)), fixes });
  const cases: [unknown[], RegExp][] = [
    [[['CVE-2024-1086', 'AlmaLinux:8', 'kernel', 'fixed', null, null, null]], /fixes\[0\].*needs one/],
    [[['CVE-2024-1086', 'AlmaLinux:8', 'kernel', 'unfixed', '1.0', null, null]], /fixes\[0\].*fixed version/],
    [[['CVE-2024-1086', 'AlmaLinux:8', 'Kernel Core', 'fixed', '1', null, null]], /package name/],
    [[['GHSA-xxxx', 'AlmaLinux:8', 'kernel', 'fixed', '1', null, null]], /CVE id/],
    [[['CVE-2024-1086', 'AlmaLinux:8', 'kernel', 'maybe', null, null, null]], /unknown status/],
    [[['CVE-2024-1086', 'AlmaLinux:8\u001b[2J', 'kernel', 'fixed', '1', null, null]], /ecosystem/],
    [[['CVE-2024-1086', 'AlmaLinux:8', 'kernel', 'fixed', '1', null, '2024/04/03']], /date/],
    [[{ cve: 'CVE-2024-1086' }], /7-item row/],
  ];
  for (const [fixes, why] of cases) {
    const r = bad(fixes);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.reason, why);
  }
  assert.equal(parseDistroFixSource({ ...sample, schema: 'other' }).ok, false);
  assert.equal(parseDistroFixSource({ ...sample, date: 'yesterday' }).ok, false);
});

test('every shipped distribution source validates', () => {
  const shipped = JSON.parse(DISTRO_FIX_JSON) as PackedDistroFixSource[];
  assert.ok(shipped.length > 0);
  for (const p of shipped) {
    const { fixes_by_ecosystem, ...meta } = p;
    const rows = packedRows(p);
    assert.ok(
      rows.every((row) => Object.hasOwn(fixes_by_ecosystem, row[1])),
      'each row in its release group',
    );
    const r = parseDistroFixSource({ ...meta, fixes: rows });
    assert.ok(r.ok, r.ok ? '' : r.reason);
    // Unpacked, every row comes back, and a release's rows are those of that release only.
    const u = unpackDistroFixSource(p);
    assert.equal(u.fixes.length, rows.length);
    for (const eco of Object.keys(fixes_by_ecosystem).slice(0, 3)) {
      const only = u.fixesIn!(new Set([eco]));
      assert.deepEqual(
        only,
        u.fixes.filter((f) => f.ecosystem === eco),
      );
    }
    assert.deepEqual(u.fixesIn!(new Set(['__proto__', 'No Such:1'])), []);
    assert.equal((JSON.parse(JSON.stringify(u)) as { fixes: unknown[] }).fixes.length, rows.length);
  }
});
