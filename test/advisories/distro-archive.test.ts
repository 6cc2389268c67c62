// "No fix released" from a release's archive (scripts/distro-data/inputs/archive-newest): the rows the builder
// makes from the newest upload's changelog, checked against the changelog extract of the same file, and the
// verdicts they give on both sides of the upstream fix (issue 12: Debian 11's runc, crun and libpod, Ubuntu's
// needs-triage and buildah-only filings).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DistroFixSource } from '../../src/advisories/distro-fix.js';
import { loadBuiltinAdvisories } from '../../src/advisories/load-advisories.js';
import {
  BUILT_WITH,
  noFixRows,
  type ArchiveNewestExtract,
} from '../../src/advisories/sources/archive-no-fix.js';
import type { ChangelogExtract } from '../../src/advisories/sources/fetch-changelogs.js';
import { buildVulnerabilities } from '../../src/evaluate/build-vulnerabilities.js';
import type { Facts, FactValue } from '../../src/facts/fact.js';
import { REPO } from '../helpers/tree.js';

const INPUTS = path.join(REPO, 'scripts/distro-data/inputs');
const input = <T>(rel: string) => JSON.parse(fs.readFileSync(path.join(INPUTS, rel), 'utf8')) as T;
const builtin = loadBuiltinAdvisories();

function facts(o: Record<string, FactValue>, evidence: Record<string, string>): Facts {
  return new Map(
    Object.entries(o).map(([id, value]) => [
      id,
      { id, value, how: 'file' as const, evidence: evidence[id] ?? id },
    ]),
  );
}

/** A host of `os` whose runtime `rt` is the dpkg package `pkg` (source `src`) at `version`. */
function host(os: [string, string], rt: string, pkg: string, src: string, version: string): Facts {
  const upstream = version.replace(/^\d+:/, '').replace(/[+~-].*$/, '');
  // Runtimes ctrsafe checks for readiness are facts of runtime.*, the engines under them of component.*.
  const pfx = rt === 'podman' ? `runtime.${rt}` : `component.${rt}`;
  return facts(
    {
      'os.id': os[0],
      'os.version_id': os[1],
      [`${pfx}.installed`]: true,
      [`${pfx}.version`]: upstream,
      [`${pfx}.package`]: `${pkg} ${version}`,
      [`${pfx}.package_source`]: src,
    },
    { [`${pfx}.package`]: `package ${pkg} (dpkg status /var/lib/dpkg/status)` },
  );
}

function verdict(cve: string, f: Facts, target: string, distro: readonly DistroFixSource[] = builtin.distro) {
  const { vulnerabilities, resolved } = buildVulnerabilities(
    builtin.advisories.filter((a) => a.id === cve || a.aliases.includes(cve)),
    f,
    [...distro],
  );
  const v = [
    ...vulnerabilities.map((x) => ({ ...x, verdict: x.match as string })),
    ...resolved.map((x) => ({ ...x, verdict: x.status as string })),
  ].find((x) => x.target === target);
  assert.ok(v, `${cve} has a verdict for ${target}`);
  return v;
}

const bullseye = input<ArchiveNewestExtract>('archive-newest/debian-bullseye.json');

test('the newest bullseye uploads the archive lists are the files fetch-changelogs read, and their CVEs agree', () => {
  for (const [pkg, version, , url, sha, named] of bullseye.packages) {
    // The sources podman is built with have no changelog extract: no reviewed record names them.
    if (BUILT_WITH.podman!.includes(pkg)) continue;
    const cl = input<ChangelogExtract>(`changelogs/debian-bullseye-${pkg}.json`);
    const read = cl.read.find(([u]) => u === url);
    assert.ok(read, `${pkg}: the changelog extract read ${url}`);
    assert.deepEqual([read[1], read[2]], [sha, version], `${pkg}: same file, newest entry ${version}`);
    // Every CVE the changelog extract kept is one the whole changelog names.
    for (const [, , , cves] of cl.entries)
      for (const c of cves) assert.ok(named.includes(c), `${pkg} ${c} named in ${version}`);
  }
});

test('rows: a CVE of the package family that no upload names, unless a record already decides the key', () => {
  const scope = new Map([
    ['CVE-2025-31133', new Set(['runc'])],
    ['CVE-2024-21626', new Set(['runc'])],
    ['CVE-2025-24965', new Set(['crun'])],
    ['CVE-2022-0847', new Set(['kernel'])],
  ]);
  const rows = noFixRows(bullseye, scope, new Set(['CVE-2025-24965\0Debian:11\0crun']));
  assert.deepEqual(
    rows.map((r) => [r.cve, r.ecosystem, r.package, r.status, r.date]),
    [['CVE-2025-31133', 'Debian:11', 'runc', 'no-fix-released', '2026-12-07']],
  );
});

test("a family the release ships from two sources gets no rows (Ubuntu's runc and runc-app)", () => {
  const noble = input<ArchiveNewestExtract>('archive-newest/ubuntu-noble.json');
  assert.deepEqual(
    noble.packages.map(([p]) => p).filter((p) => p.startsWith('runc')),
    ['runc', 'runc-app'],
  );
  const scope = new Map([
    ['CVE-2025-31133', new Set(['runc'])],
    ['CVE-2026-47766', new Set(['crun'])],
  ]);
  assert.deepEqual(
    noFixRows(noble, scope, new Set()).map((r) => [r.cve, r.package]),
    [['CVE-2026-47766', 'crun']],
  );
});

test("Debian 11's runc: affected where upstream's range holds the version, fixed past the upstream fix", () => {
  const deb11 = (v: string) => host(['debian', '11'], 'runc', 'runc', 'runc', v);
  const shipped = verdict('CVE-2025-31133', deb11('1.0.0~rc93+ds1-5+deb11u5'), 'runc');
  assert.deepEqual(
    [shipped.verdict, shipped.package, shipped.fixed_version],
    ['affected', 'Debian:11/runc', null],
  );
  assert.match(
    shipped.reason,
    /upstream 1\.0\.0 is affected; fixed in 1\.2\.8, and no fix released by Debian 11: no upload of runc there names the CVE \(its archive read 2026-12-07\)/,
  );
  // A backport built from upstream 1.2.8 carries the fix, whatever bullseye's archive holds.
  const backport = verdict('CVE-2025-31133', deb11('1.2.8+ds1-1~bpo11+1'), 'runc');
  assert.equal(backport.verdict, 'fixed', backport.reason);
  assert.match(backport.reason, /no fix released by Debian 11/);
  // The same version with the archive's rows taken away: back to "may carry a backported fix" (unknown).
  const without = verdict(
    'CVE-2025-31133',
    deb11('1.0.0~rc93+ds1-5+deb11u5'),
    'runc',
    builtin.distro.filter((s) => s.id !== 'archive-no-fix'),
  );
  assert.equal(without.verdict, 'unknown', without.reason);
});

test('a record that decides the key wins over the archive rows; a record that states no verdict stays unknown', () => {
  const row = (status: 'fixed' | 'unlisted', fixed?: string): DistroFixSource => ({
    schema: 'ctrsafe.distro-fixes/1',
    id: 'example',
    publisher: 'Example',
    repository: 'example/records',
    revision: '0123456789abcdef',
    date: '2026-12-01',
    license: 'test',
    fixes: [
      {
        cve: 'CVE-2025-31133',
        ecosystem: 'Debian:11',
        package: 'runc',
        status,
        ...(fixed ? { fixed } : {}),
      },
    ],
  });
  const deb11 = host(['debian', '11'], 'runc', 'runc', 'runc', '1.0.0~rc93+ds1-5+deb11u5');
  const archive = builtin.distro.filter((s) => s.id === 'archive-no-fix');
  const fixed = verdict('CVE-2025-31133', deb11, 'runc', [
    ...archive,
    row('fixed', '1.0.0~rc93+ds1-5+deb11u6'),
  ]);
  assert.deepEqual(
    [fixed.verdict, fixed.fixed_version],
    ['affected', '1.0.0~rc93+ds1-5+deb11u6'],
    fixed.reason,
  );
  assert.doesNotMatch(fixed.reason, /no fix released/);
  const silent = verdict('CVE-2025-31133', deb11, 'runc', [row('unlisted'), ...archive]);
  assert.equal(silent.verdict, 'unknown', silent.reason);
  assert.match(silent.reason, /states no verdict/);
});

test("a CVE the changelog names is decided by that upload, not by the archive rows (CVE-2024-21626, bullseye's runc)", () => {
  const v = verdict(
    'CVE-2024-21626',
    host(['debian', '11'], 'runc', 'runc', 'runc', '1.0.0~rc93+ds1-5+deb11u2'),
    'runc',
  );
  assert.deepEqual([v.verdict, v.fixed_version], ['affected', '1.0.0~rc93+ds1-5+deb11u3'], v.reason);
});

test("Ubuntu 24.04's crun: the tracker's needs-triage and the archive's no fix, said together; upstream 1.20 fixed", () => {
  const noble = (v: string) => host(['ubuntu', '24.04'], 'crun', 'crun', 'crun', v);
  const shipped = verdict('CVE-2025-24965', noble('1.14.1-1'), 'crun');
  assert.equal(shipped.verdict, 'affected', shipped.reason);
  assert.match(shipped.reason, /has not decided yet .*no fix released by Ubuntu 24\.04/);
  assert.equal(verdict('CVE-2025-24965', noble('1.20-1'), 'crun').verdict, 'fixed');
});

test("Debian 12's libpod: podman's CVEs no bookworm upload names are affected, no fix released (issue 12: this machine)", () => {
  // The podman of this machine and of the debian12 fixture: a binNMU (+b3) of bookworm's newest libpod upload.
  const deb12 = host(['debian', '12'], 'podman', 'podman', 'libpod', '4.3.1+ds1-8+deb12u1+b3');
  for (const cve of ['CVE-2022-4122', 'CVE-2024-9407', 'CVE-2026-55686']) {
    const v = verdict(cve, deb12, 'podman');
    assert.equal(v.verdict, 'affected', `${cve}: ${v.reason}`);
    assert.match(v.reason, /no fix released by Debian 12: no upload of libpod there names the CVE/, cve);
  }
  // Podman fixed CVE-2024-9407 in 5.2.4 only: the 4.x line has no fix of its own, and the reason says where it is.
  assert.match(
    verdict('CVE-2024-9407', deb12, 'podman').reason,
    /upstream 4\.3\.1 is affected; no release of its line fixes it \(fixed upstream in 5\.2\.4\)/,
  );
  // A CVE a bookworm upload names stays decided by that upload.
  assert.equal(verdict('CVE-2023-0778', deb12, 'podman').verdict, 'fixed');
});

test('a CVE the changelog of a source the runtime is built with names gets no row: a rebuild may carry its fix', () => {
  const extract: ArchiveNewestExtract = {
    ...bullseye,
    ecosystem: 'Debian:12',
    packages: [
      [
        'golang-github-containers-buildah',
        '1.28.2+ds1-3+deb12u1',
        '2025-01-27',
        'u1',
        's1',
        ['CVE-2024-9407'],
      ],
      ['libpod', '4.3.1+ds1-8+deb12u1', '2024-01-01', 'u2', 's2', ['CVE-2023-0778']],
    ],
  };
  const scope = new Map([
    ['CVE-2024-9407', new Set(['podman'])],
    ['CVE-2022-4122', new Set(['podman'])],
    ['CVE-2023-0778', new Set(['podman'])],
  ]);
  assert.deepEqual(
    noFixRows(extract, scope, new Set()).map((r) => [r.cve, r.package]),
    [['CVE-2022-4122', 'libpod']],
  );
});

test('every release whose archive is complete was read, with the sources podman is built with', () => {
  for (const name of [
    'debian-bullseye',
    'debian-bookworm',
    'debian-trixie',
    'ubuntu-jammy',
    'ubuntu-noble',
  ]) {
    const x = input<ArchiveNewestExtract>(`archive-newest/${name}.json`);
    assert.ok(
      x.packages.some(([p]) => p === 'golang-github-containers-buildah'),
      `${name}: buildah's source read beside podman's`,
    );
  }
});

test('a source the runtime is built with whose changelog could not be read: no row for that runtime', () => {
  const extract: ArchiveNewestExtract = {
    ...bullseye,
    packages: [['libpod', '3.0.1+dfsg1-3+deb11u5', '2023-12-29', 'u', 's', []]],
    unread: [['golang-github-containers-buildah', '1.19.6+dfsg1-1']],
  };
  const scope = new Map([['CVE-2022-4122', new Set(['podman'])]]);
  assert.deepEqual(noFixRows(extract, scope, new Set()), []);
  assert.equal(noFixRows({ ...extract, unread: [] }, scope, new Set()).length, 1);
});
