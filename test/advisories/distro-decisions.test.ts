// The distributions' own records decide, on both sides of each fixed version, with rows built from the
// hand-verified fixes in ../shared/reference/advisory-sources.md (AlmaLinux, Rocky, Red Hat, SUSE, Ubuntu records).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { DistroFix, DistroFixSource } from '../../src/advisories/distro-fix.js';
import { loadAdvisoryDir } from '../../src/advisories/load-advisories.js';
import { buildVulnerabilities } from '../../src/evaluate/build-vulnerabilities.js';
import type { Facts, FactValue } from '../../src/facts/fact.js';
import { REPO } from '../helpers/tree.js';

const db = loadAdvisoryDir(path.join(REPO, 'advisories'));

function source(id: string, publisher: string, rows: DistroFix[]): DistroFixSource {
  return {
    schema: 'ctrsafe.distro-fixes/1',
    id,
    publisher,
    repository: `example/${id}`,
    revision: '0123456789abcdef',
    date: '2026-08-01',
    license: 'test',
    fixes: rows,
  };
}
const fix = (
  cve: string,
  ecosystem: string,
  pkg: string,
  fixed: string,
  advisory: string,
  date = '2022-03-10',
): DistroFix => ({
  cve,
  ecosystem,
  package: pkg,
  status: 'fixed',
  fixed,
  advisory,
  date,
});

// advisory-sources.md, "Verified fixed versions".
const ALMA = source('almalinux-osv', 'AlmaLinux OS Foundation', [
  fix('CVE-2022-0847', 'AlmaLinux:8', 'kernel', '4.18.0-348.20.1.el8_5', 'ALSA-2022:0825'),
  fix('CVE-2022-0185', 'AlmaLinux:8', 'kernel', '4.18.0-348.12.2.el8_5', 'ALSA-2022:0188'),
  fix('CVE-2021-22555', 'AlmaLinux:8', 'kernel', '4.18.0-305.12.1.el8_4', 'ALSA-2021:3057'),
  fix('CVE-2023-0386', 'AlmaLinux:8', 'kernel', '4.18.0-425.19.2.el8_7', 'ALSA-2023:1566'),
  fix('CVE-2023-0386', 'AlmaLinux:9', 'kernel', '5.14.0-162.23.1.el9_1', 'ALSA-2023:1703'),
  fix('CVE-2024-1086', 'AlmaLinux:8', 'kernel', '4.18.0-513.24.1.el8_9', 'ALSA-2024:1607'),
  fix('CVE-2024-1086', 'AlmaLinux:9', 'kernel', '5.14.0-427.13.1.el9_4', 'ALSA-2024:2394'),
  fix('CVE-2024-21626', 'AlmaLinux:9', 'runc', '4:1.1.12-1.el9_3', 'ALSA-2024:0670'),
]);
// Rocky's CSAF lacks RLSA-2024:2394 (the 9.4 kernel fix of CVE-2024-1086): Alma's record judges a Rocky 9 node.
const ROCKY = source('rocky-csaf', 'Ctrl IQ', [
  fix('CVE-2022-0847', 'Rocky Linux:8', 'kernel', '4.18.0-348.20.1.el8_5', 'RLSA-2022:0825'),
  fix('CVE-2022-0185', 'Rocky Linux:8', 'kernel', '4.18.0-348.12.2.el8_5', 'RLSA-2022:0188'),
]);
const REDHAT = source('redhat-csaf-vex', 'Red Hat', [
  fix('CVE-2022-0847', 'Red Hat:enterprise_linux:8', 'kernel', '4.18.0-348.20.1.el8_5', 'RHSA-2022:0825'),
  fix('CVE-2022-0847', 'Red Hat:rhel_eus:8.4', 'kernel', '4.18.0-305.40.2.el8_4', 'RHSA-2022:0819'),
  fix(
    'CVE-2022-0847',
    'Red Hat:enterprise_linux:8',
    'kernel-rt',
    '4.18.0-348.20.1.rt7.150.el8_5',
    'RHSA-2022:0822',
  ),
]);
const SUSE = source('suse-cvrf', 'SUSE', [
  fix(
    'CVE-2022-0847',
    'SUSE:Linux Enterprise Server 15 SP3',
    'kernel-default',
    '5.3.18-150300.59.54.1',
    'SUSE-SU-2022:0760-1',
  ),
]);
const UBUNTU = source('ubuntu-osv', 'Canonical', [
  // Fixed before 22.04 was released: the tracker says not-affected with the version, a fix in the release.
  fix('CVE-2022-0847', 'Ubuntu:22.04:LTS', 'linux', '5.15.0-23.23', '', '2022-03-07'),
  fix('CVE-2022-0847', 'Ubuntu:22.04:LTS', 'linux-aws', '5.15.0-1003.5', ''),
  { cve: 'CVE-2024-1086', ecosystem: 'Ubuntu:22.04:LTS', package: 'linux-hwe-6.5', status: 'undetermined' },
  { cve: 'CVE-2023-0386', ecosystem: 'Ubuntu:22.04:LTS', package: 'linux', status: 'unfixed' },
  { cve: 'CVE-2023-32233', ecosystem: 'Ubuntu:22.04:LTS', package: 'linux', status: 'not-affected' },
]).fixes.map((f) => (f.advisory === '' ? { ...f, advisory: undefined } : f));
const SOURCES = [ALMA, ROCKY, REDHAT, SUSE, source('ubuntu-osv', 'Canonical', UBUNTU)];

function facts(o: Record<string, FactValue>, evidence: Record<string, string> = {}): Facts {
  return new Map(
    Object.entries(o).map(([id, value]) => [
      id,
      { id, value, how: 'file' as const, evidence: evidence[id] ?? id },
    ]),
  );
}

function verdict(cve: string, f: Facts, target = 'kernel', sources: DistroFixSource[] = SOURCES) {
  const { vulnerabilities, resolved } = buildVulnerabilities(
    db.advisories.filter((a) => a.id === cve || a.aliases.includes(cve)),
    f,
    sources,
  );
  const all = [
    ...vulnerabilities.map((v) => ({ ...v, verdict: v.match as string })),
    ...resolved.map((v) => ({ ...v, verdict: v.status as string })),
  ];
  const v = all.find((x) => x.target === target);
  assert.ok(v, `${cve} has a verdict for ${target}`);
  return v;
}

/** An AlmaLinux 9.3 host whose runc comes from the RPM `runc` at version `v` (epoch inline). */
const runc = (v: string) =>
  facts(
    {
      'os.id': 'almalinux',
      'os.version_id': '9.3',
      'component.runc.installed': true,
      'component.runc.version': v.replace(/^\d+:/, '').replace(/-.*/, ''),
      'component.runc.package': `runc ${v}`,
      'component.runc.package_source': 'runc',
    },
    { 'component.runc.package': 'package runc (RPM database /var/lib/rpm/rpmdb.sqlite)' },
  );

const el = (osId: string, versionId: string, release: string) =>
  facts({ 'os.id': osId, 'os.version_id': versionId, 'kernel.release': release, 'kernel.family': 'rhel' });

test('EL8 kernels on both sides of each fixed version, with the advisory id and the deciding source', () => {
  for (const [cve, below, at, adv] of [
    ['CVE-2022-0847', '4.18.0-348.12.2.el8_5', '4.18.0-348.20.1.el8_5', 'RLSA-2022:0825'],
    ['CVE-2022-0185', '4.18.0-348.7.1.el8_5', '4.18.0-348.12.2.el8_5', 'RLSA-2022:0188'],
  ] as const) {
    const a = verdict(cve, el('rocky', '8.5', `${below}.x86_64`));
    assert.deepEqual([a.verdict, a.fixed_version, a.advisory], ['affected', at, adv], a.reason);
    assert.match(a.decided_by, /Ctrl IQ, example\/rocky-csaf@0123456789ab \(2026-08-01\)/);
    assert.equal(a.source_date, '2026-08-01', 'the date of the source data');
    assert.match(a.reason, /\(RLSA-2022:\d+, 2022-03-10\)/);
    const f = verdict(cve, el('rocky', '8.5', `${at}.x86_64`));
    assert.equal(f.verdict, 'fixed', f.reason);
  }
  // CVE-2021-22555: Rocky has no row here, AlmaLinux's record of the same rebuild decides, and says so.
  const r = verdict('CVE-2021-22555', el('rocky', '8.4', '4.18.0-305.10.2.el8_4.x86_64'));
  assert.deepEqual(
    [r.verdict, r.fixed_version, r.advisory],
    ['affected', '4.18.0-305.12.1.el8_4', 'ALSA-2021:3057'],
  );
  assert.match(r.reason, /AlmaLinux 8's record of the same rebuild/);
  assert.equal(
    verdict('CVE-2021-22555', el('rocky', '8.4', '4.18.0-305.12.1.el8_4.x86_64')).verdict,
    'fixed',
  );
});

test("EL9: Rocky's missing RLSA-2024:2394 is covered by AlmaLinux's ALSA-2024:2394; runc with its epoch", () => {
  const a = verdict('CVE-2024-1086', el('rocky', '9.4', '5.14.0-427.13.1.el9_4.x86_64'));
  assert.deepEqual([a.verdict, a.advisory], ['fixed', 'ALSA-2024:2394'], a.reason);
  const b = verdict('CVE-2024-1086', el('rocky', '9.3', '5.14.0-362.24.1.el9_3.x86_64'));
  assert.deepEqual([b.verdict, b.fixed_version], ['affected', '5.14.0-427.13.1.el9_4']);
  const affected = verdict('CVE-2024-21626', runc('4:1.1.11-1.el9_3'), 'runc');
  assert.deepEqual(
    [affected.verdict, affected.fixed_version, affected.advisory, affected.package],
    ['affected', '4:1.1.12-1.el9_3', 'ALSA-2024:0670', 'AlmaLinux:9/runc'],
  );
  assert.equal(verdict('CVE-2024-21626', runc('4:1.1.12-1.el9_3'), 'runc').verdict, 'fixed');
  // Without the epoch the distribution version is older than 4:... — rpm's own order (epoch first) decides.
  assert.equal(verdict('CVE-2024-21626', runc('1.1.13-1.el9_3'), 'runc').verdict, 'affected');
});

test("a distribution's 'no fix released' does not outlive an upstream version past the fix (RHEL's 'Fix deferred' for CVE-2024-45310)", () => {
  // Red Hat security data: runc on RHEL 9 "Fix deferred"; runc 1.1.14 and 1.2.0-rc.3 fixed it upstream.
  const deferred = [
    source('redhat-security-data', 'Red Hat', [
      {
        cve: 'CVE-2024-45310',
        ecosystem: 'Red Hat:enterprise_linux:9',
        package: 'runc',
        status: 'unfixed',
        date: '2024-09-03',
      },
    ]),
  ];
  const old = verdict('CVE-2024-45310', runc('4:1.1.12-1.el9_3'), 'runc', deferred);
  assert.deepEqual([old.verdict, old.fixed_version], ['affected', null], old.reason);
  assert.match(old.reason, /affected with no fix released/);
  const rebased = verdict('CVE-2024-45310', runc('4:1.2.5-1.el9'), 'runc', deferred);
  assert.equal(rebased.verdict, 'fixed', rebased.reason);
  assert.match(
    rebased.reason,
    /upstream 1\.2\.5 is at or past the fix in 1\.1\.14; .* still marks runc affected with no fix released/,
  );
});

test('RHEL EUS: a kernel of the 8.4 stream is judged by the 8.4 EUS record its dist tag names', () => {
  const eus = verdict('CVE-2022-0847', el('rhel', '8.4', '4.18.0-305.40.2.el8_4.x86_64'));
  assert.deepEqual([eus.verdict, eus.advisory], ['fixed', 'RHSA-2022:0819'], eus.reason);
  assert.match(eus.reason, /Red Hat 8\.4 EUS/);
  const old = verdict('CVE-2022-0847', el('rhel', '8.4', '4.18.0-305.30.1.el8_4.x86_64'));
  assert.equal(old.verdict, 'affected');
  assert.match(old.reason, /or update within Red Hat 8\.4 EUS to 4\.18\.0-305\.40\.2\.el8_4/);
  // kernel-rt is its own source package with its own fix.
  const rt = verdict('CVE-2022-0847', el('rhel', '8.5', '4.18.0-348.12.2.rt7.143.el8_5.x86_64'));
  assert.deepEqual(
    [rt.verdict, rt.fixed_version, rt.package],
    ['affected', '4.18.0-348.20.1.rt7.150.el8_5', 'Red Hat:enterprise_linux:8/kernel-rt'],
  );
});

test('RHEL 7.9 (3.10.0-1160, dist tag el7): the ELS stream judges it; kernels of older minor releases are not', () => {
  // RHSA-2025:1281: CVE-2024-53104 fixed for RHEL 7 ELS in kernel-3.10.0-1160.132.1.el7 (Red Hat security data).
  const els = [
    source('redhat-security-data', 'Red Hat', [
      fix(
        'CVE-2024-53104',
        'Red Hat:rhel_els:7',
        'kernel',
        '3.10.0-1160.132.1.el7',
        'RHSA-2025:1281',
        '2025-02-11',
      ),
    ]),
  ];
  const at = (osId: string, release: string) =>
    verdict('CVE-2024-53104', el(osId, '7', release), 'kernel', els);

  const old = at('centos', '3.10.0-1160.el7.x86_64');
  assert.deepEqual(
    [old.verdict, old.fixed_version, old.advisory],
    ['affected', '3.10.0-1160.132.1.el7', 'RHSA-2025:1281'],
    old.reason,
  );
  assert.match(old.reason, /Red Hat 7 ELS/);
  const patched = at('rhel', '3.10.0-1160.132.1.el7.x86_64');
  assert.equal(patched.verdict, 'fixed', patched.reason);
  // 3.10.0-1062 is RHEL 7.7: ELS does not speak for it (its AUS stream would).
  assert.equal(at('rhel', '3.10.0-1062.92.1.el7.x86_64').verdict, 'unknown');
});

test('SLES 15 SP3: the release string lacks the last release number; the RPM database settles the one case it leaves', () => {
  const sles = (release: string, pkg?: string) =>
    facts({
      'os.id': 'sles',
      'os.version_id': '15.3',
      'kernel.release': release,
      'kernel.family': 'suse',
      ...(pkg
        ? {
            'kernel.package': `kernel-default ${pkg}`,
            'kernel.package_syntax': 'rpm',
            'kernel.base_version': '5.3.18',
            'kernel.base_stable': false,
          }
        : {}),
    });
  assert.equal(verdict('CVE-2022-0847', sles('5.3.18-150300.59.49-default')).verdict, 'affected');
  assert.equal(verdict('CVE-2022-0847', sles('5.3.18-150300.59.60-default')).verdict, 'fixed');
  const same = verdict('CVE-2022-0847', sles('5.3.18-150300.59.54-default'));
  assert.equal(same.verdict, 'unknown');
  assert.match(same.reason, /differs only in N, which only the RPM database tells/);
  assert.equal(
    verdict('CVE-2022-0847', sles('5.3.18-150300.59.54-default', '5.3.18-150300.59.54.1')).verdict,
    'fixed',
  );
});

test('Ubuntu: a fix that predates the release, unfixed, undetermined and not-affected records', () => {
  const ubu = (release: string, build: string) =>
    facts({
      'os.id': 'ubuntu',
      'os.version_id': '22.04',
      'kernel.release': release,
      'kernel.family': 'ubuntu',
      'kernel.version_banner': `Linux version ${release} (buildd@lcy02-amd64-045) ${build} SMP`,
    });
  assert.equal(verdict('CVE-2022-0847', ubu('5.15.0-91-generic', '#101-Ubuntu')).verdict, 'fixed');
  const aws = verdict('CVE-2022-0847', ubu('5.15.0-1002-aws', '#4-Ubuntu'));
  assert.deepEqual(
    [aws.verdict, aws.fixed_version, aws.package],
    ['affected', '5.15.0-1003.5', 'Ubuntu:22.04:LTS/linux-aws'],
  );
  const unfixed = verdict('CVE-2023-0386', ubu('5.15.0-91-generic', '#101-Ubuntu'));
  assert.deepEqual([unfixed.verdict, unfixed.fixed_version], ['affected', null]);
  assert.match(unfixed.reason, /affected with no fix released/);
  const undecided = verdict('CVE-2024-1086', ubu('6.5.0-14-generic', '#14~22.04.1-Ubuntu'));
  assert.equal(undecided.verdict, 'unknown');
  assert.match(undecided.reason, /has not decided yet/);
  assert.equal(verdict('CVE-2023-32233', ubu('5.15.0-91-generic', '#101-Ubuntu')).verdict, 'not-affected');
});

test('where no record exists: the base past the mainline fix, the stable base, or the package changelog decide, said so', () => {
  // Dirty COW (fixed in mainline 4.9) on a RHEL 9 kernel built on 5.14: fixed (issue 12: it was "unknown").
  const cow = verdict('CVE-2016-5195', el('rocky', '9.4', '5.14.0-427.35.1.el9_4.x86_64'));
  assert.equal(cow.verdict, 'fixed', cow.reason);
  assert.match(cow.reason, /upstream base 5\.14\.0 already contains the mainline fix \(4\.9\)/);
  // A Debian kernel is built on the stable release its package version names: stable ranges judge it.
  const deb = (pkg: string) =>
    facts({
      'os.id': 'debian',
      'os.version_id': '12',
      'kernel.release': '6.1.0-17-amd64',
      'kernel.family': 'debian',
      'kernel.package': `linux ${pkg}`,
      'kernel.package_syntax': 'debian',
      'kernel.base_version': pkg.replace(/-.*/, ''),
      'kernel.base_stable': true,
    });
  const nft = verdict('CVE-2024-1086', deb('6.1.69-1'));
  assert.deepEqual([nft.verdict, nft.fixed_version], ['affected', '6.1.76']);
  assert.match(
    nft.reason,
    /judged on the upstream stable release the kernel is built on .* as the database has no debian 12 record for linux/,
  );
  assert.equal(verdict('CVE-2024-1086', deb('6.1.76-1')).verdict, 'fixed');
  // The changelog of the installed package names the CVE: fixed, cited as host evidence.
  const withLog = deb('6.1.69-1');
  withLog.set('kernel.changelog_fixes', {
    id: 'kernel.changelog_fixes',
    value: ['CVE-2024-1086 6.1.66-1'],
    how: 'file',
    evidence: '',
  });
  const c = verdict('CVE-2024-1086', withLog);
  assert.equal(c.verdict, 'fixed');
  assert.match(c.decided_by, /package changelog on this host/);
  // What stays unknown names the missing datum.
  const nobanner = facts({
    'os.id': 'debian',
    'os.version_id': '12',
    'kernel.release': '6.1.0-17-amd64',
    'kernel.family': 'debian',
  });
  const u = verdict('CVE-2024-1086', nobanner);
  assert.equal(u.verdict, 'unknown');
  assert.match(
    u.reason,
    /the kernel's package version: \/proc\/version does not name it and no package linux-image-6\.1\.0-17-amd64 is installed/,
  );
});

test('Apptainer from its own .deb on Ubuntu (1.1.0-1~jammy): Ubuntu does not package it, so upstream ranges decide', () => {
  const f = facts(
    {
      'os.id': 'ubuntu',
      'os.version_id': '22.04',
      'runtime.apptainer.installed': true,
      'runtime.apptainer.version': '1.1.0',
      'runtime.apptainer.package': 'apptainer 1.1.0-1~jammy',
      'runtime.apptainer.package_source': 'apptainer',
    },
    { 'runtime.apptainer.package': 'package apptainer 1.1.0-1~jammy (dpkg status (/var/lib/dpkg/status))' },
  );
  const v = verdict('CVE-2023-30549', f, 'apptainer');
  assert.deepEqual(
    [v.verdict, v.fixed_version, v.package],
    ['affected', '1.1.8', 'Go/github.com/apptainer/apptainer'],
    v.reason,
  );
  assert.match(v.reason, /upstream build: ubuntu 22\.04 does not ship it/);
});

test("EL8 module streams: the fix on the installed version's own line decides; a rebuild's module build numbers are not a version", () => {
  // AlmaLinux OSV / Rocky CSAF rows as the data builder extracts them (ALSA/RLSA-2022:1565, 1566, 1762; 2023:2758, 2802).
  const streams: DistroFixSource[] = [
    source('almalinux-osv', 'AlmaLinux OS Foundation', [
      fix(
        'CVE-2023-0778',
        'AlmaLinux:8',
        'podman',
        '2:4.0.2-20.module_el8.8.0+3468+16b86c82',
        'ALSA-2023:2802',
      ),
      fix(
        'CVE-2023-0778',
        'AlmaLinux:8',
        'podman',
        '3:4.4.1-8.module_el8.8.0+3568+e8578284',
        'ALSA-2023:2758',
      ),
    ]),
    source('rocky-csaf', 'Ctrl IQ', [
      fix(
        'CVE-2022-27649',
        'Rocky Linux:8',
        'podman',
        '1.6.4-28.module+el8.5.0+770+e2f49861',
        'RLSA-2022:1566',
      ),
      fix(
        'CVE-2022-27649',
        'Rocky Linux:8',
        'podman',
        '3.0.1-8.module+el8.5.0+769+55ca48e8',
        'RLSA-2022:1565',
      ),
      fix(
        'CVE-2022-27649',
        'Rocky Linux:8',
        'podman',
        '2:4.0.2-6.module+el8.6.0+785+d1251653',
        'RLSA-2022:1762',
      ),
    ]),
  ];
  const podman = (v: string) =>
    facts(
      {
        'os.id': 'rocky',
        'os.version_id': '8.8',
        'runtime.podman.installed': true,
        'runtime.podman.version': v.replace(/^\d+:/, '').replace(/-.*/, ''),
        'runtime.podman.package': `podman ${v}`,
        'runtime.podman.package_source': 'podman',
      },
      { 'runtime.podman.package': 'package podman (RPM database /var/lib/rpm/Packages)' },
    );
  const judge = (cve: string, v: string) => {
    const r = buildVulnerabilities(
      db.advisories.filter((a) => a.id === cve),
      podman(v),
      streams,
    );
    return [
      ...r.vulnerabilities.map((x) => [x.match, x.fixed_version]),
      ...r.resolved.map((x) => [x.status, x.fixed_version]),
    ][0];
  };
  // The 3.0 stream's own fix, not the lower 1.6.4 of another stream.
  assert.deepEqual(judge('CVE-2022-27649', '3.0.1-7.module+el8.5.0+769+55ca48e8'), [
    'affected',
    '3.0.1-8.module+el8.5.0+769+55ca48e8',
  ]);
  assert.deepEqual(judge('CVE-2022-27649', '2:4.0.2-5.module+el8.6.0+785+d1251653'), [
    'affected',
    '2:4.0.2-6.module+el8.6.0+785+d1251653',
  ]);
  assert.deepEqual(judge('CVE-2022-27649', '1.6.4-28.module+el8.5.0+770+e2f49861'), [
    'fixed',
    '1.6.4-28.module+el8.5.0+770+e2f49861',
  ]);
  // A newer line inherits the newest older line's fix (4.9 after 4.4).
  assert.deepEqual(judge('CVE-2023-0778', '4:4.9.4-15.module+el8.10.0+1880+8e896d1b'), [
    'fixed',
    '3:4.4.1-8.module_el8.8.0+3568+e8578284',
  ]);
  // Rocky's build of the same 3:4.4.1-8 carries other module build numbers than AlmaLinux's: the same fix.
  assert.equal(judge('CVE-2023-0778', '3:4.4.1-8.module+el8.8.0+1265+fa25dd7a')![0], 'fixed');
  assert.equal(judge('CVE-2023-0778', '3:4.4.1-7.module+el8.8.0+1265+fa25dd7a')![0], 'affected');
});
