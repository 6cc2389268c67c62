// The distribution-data converters on real records (test/fixtures/distro-records, licences in its README), checked
// against the hand-verified fixed versions of ../shared/reference/advisory-sources.md and against each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DistroFix } from '../../../src/advisories/distro-fix.js';
import { buildAlmaLinux } from '../../../src/advisories/sources/build-from-mirrors.js';
import {
  csafProductEcosystem,
  distroFixesFromCsaf,
  parseNevra,
} from '../../../src/advisories/sources/csaf-advisory.js';
import {
  normalizeOsvEcosystem,
  osvCves,
  redHatCpeEcosystem,
} from '../../../src/advisories/sources/ecosystems.js';
import { openInputTree } from '../../../src/advisories/sources/input-tree.js';
import { minimizeFixes } from '../../../src/advisories/sources/merge-fixes.js';
import { distroFixesFromOsv } from '../../../src/advisories/sources/osv-distro.js';
import { firstNamingEntries, parseChangelog } from '../../../src/advisories/sources/package-changelog.js';
import {
  fixesFromRedHatExtract,
  type RedHatExtract,
} from '../../../src/advisories/sources/redhat-security-data.js';
import { isRelevantSourcePackage, rpmSourceOf } from '../../../src/advisories/sources/relevant-packages.js';
import { REPO } from '../../helpers/tree.js';

const RECORDS = path.join(REPO, 'test/fixtures/distro-records');
const json = (rel: string) => JSON.parse(fs.readFileSync(path.join(RECORDS, rel), 'utf8')) as unknown;
const all = () => true;
const pick = (rows: DistroFix[], cve: string, eco: string, pkg: string) =>
  rows.filter((r) => r.cve === cve && r.ecosystem === eco && r.package === pkg);

test('AlmaLinux OSV: a kernel record that lists only kernel-tools-libs-devel still fixes "kernel" (the 2021-22 defect)', () => {
  const rows = distroFixesFromOsv(json('almalinux/advisories/almalinux8/ALSA-2022:0825.json'), all);
  // advisory-sources.md: CVE-2022-0847, Alma 8 kernel, 4.18.0-348.20.1.el8_5, ALSA-2022:0825.
  assert.deepEqual(pick(rows, 'CVE-2022-0847', 'AlmaLinux:8', 'kernel'), [
    {
      cve: 'CVE-2022-0847',
      ecosystem: 'AlmaLinux:8',
      package: 'kernel',
      status: 'fixed',
      fixed: '4.18.0-348.20.1.el8_5',
      advisory: 'ALSA-2022:0825',
      date: '2022-03-10',
    },
  ]);
  assert.equal(new Set(rows.map((r) => r.cve)).size, 8, 'one row per CVE the record names in "related"');
  const kept = distroFixesFromOsv(
    json('almalinux/advisories/almalinux8/ALSA-2022:0825.json'),
    (c) => c === 'CVE-2022-0492',
  );
  assert.deepEqual(
    kept.map((r) => r.cve),
    ['CVE-2022-0492'],
  );
});

test('AlmaLinux OSV: binaries map to their source package, epochs stay inline', () => {
  const runc = distroFixesFromOsv(json('almalinux/advisories/almalinux9/ALSA-2024:0670.json'), all);
  // advisory-sources.md: CVE-2024-21626, EL9 runc 4:1.1.12-1.el9_3, ALSA-2024:0670.
  assert.deepEqual(
    runc.map((r) => [r.cve, r.ecosystem, r.package, r.fixed, r.advisory]),
    [['CVE-2024-21626', 'AlmaLinux:9', 'runc', '4:1.1.12-1.el9_3', 'ALSA-2024:0670']],
  );
  const k = distroFixesFromOsv(
    json('almalinux/advisories/almalinux8/ALSA-2023:1566.json'),
    (c) => c === 'CVE-2023-0386',
  );
  // advisory-sources.md: CVE-2023-0386, EL8 kernel 4.18.0-425.19.2.el8_7. The record lists ~30 kernel binaries.
  assert.deepEqual(
    k.map((r) => [r.package, r.fixed]),
    [['kernel', '4.18.0-425.19.2.el8_7']],
  );
  for (const [bin, src] of [
    ['kernel-core', 'kernel'],
    ['kernel-rt-modules-extra', 'kernel-rt'],
    ['kernel-64k-debug-modules', 'kernel'],
    ['kernel-alt-headers', 'kernel-alt'],
    ['podman-remote', 'podman'],
    ['shadow-utils-subid', 'shadow-utils'],
    ['crun-krun', 'crun'],
    ['kernel-rpm-macros', null],
    ['buildah', null],
    ['kernelshark', null],
  ] as const)
    assert.equal(rpmSourceOf(bin), src, bin);
});

test('Rocky Linux CSAF (CIQ): the source RPM and binaries of rlc-8.5 give Rocky Linux:8 rows with the RLSA id', () => {
  const rows = minimizeFixes(distroFixesFromCsaf(json('rocky/crlsa-2022-0825.trimmed.json'), all));
  // advisory-sources.md: CVE-2022-0847, Rocky 8 kernel 4.18.0-348.20.1.el8_5, RLSA-2022:0825.
  assert.deepEqual(pick(rows, 'CVE-2022-0847', 'Rocky Linux:8', 'kernel'), [
    {
      cve: 'CVE-2022-0847',
      ecosystem: 'Rocky Linux:8',
      package: 'kernel',
      status: 'fixed',
      fixed: '4.18.0-348.20.1.el8_5',
      advisory: 'RLSA-2022:0825',
      date: '2022-03-10',
    },
  ]);
  assert.equal(csafProductEcosystem('cpe:2.3:o:ciq:rocky_linux_from_ciq:9.4:*:*:*:*:*:*:*'), 'Rocky Linux:9');
  assert.equal(csafProductEcosystem('cpe:/o:redhat:rhel_eus:8.4::baseos'), 'Red Hat:rhel_eus:8.4');
  assert.deepEqual(parseNevra('runc-4:1.1.12-1.el9_3.x86_64'), {
    name: 'runc',
    version: '4:1.1.12-1.el9_3',
    arch: 'x86_64',
  });
  assert.deepEqual(parseNevra('kernel-0:4.18.0-348.20.1.el8_5.src'), {
    name: 'kernel',
    version: '4.18.0-348.20.1.el8_5',
    arch: 'src',
  });
});

test('Red Hat security data: RHEL, EUS and real-time rows and "not affected" states from one extract', () => {
  const x = JSON.parse(
    fs.readFileSync(path.join(REPO, 'scripts/distro-data/inputs/redhat/CVE-2022-0847.json'), 'utf8'),
  ) as RedHatExtract;
  const rows = minimizeFixes(fixesFromRedHatExtract(x));
  const fixedOf = (eco: string, pkg: string) =>
    pick(rows, 'CVE-2022-0847', eco, pkg).map((r) => r.fixed ?? r.status);
  // advisory-sources.md: RHEL 8.5 4.18.0-348.20.1.el8_5; 8.4 EUS 4.18.0-305.40.2.el8_4; kernel-rt 4.18.0-348.20.1.rt7.150.el8_5.
  assert.deepEqual(fixedOf('Red Hat:enterprise_linux:8', 'kernel'), ['4.18.0-348.20.1.el8_5']);
  assert.deepEqual(fixedOf('Red Hat:rhel_eus:8.4', 'kernel'), ['4.18.0-305.40.2.el8_4']);
  assert.deepEqual(fixedOf('Red Hat:enterprise_linux:8', 'kernel-rt'), ['4.18.0-348.20.1.rt7.150.el8_5']);
  assert.deepEqual(fixedOf('Red Hat:enterprise_linux:7', 'kernel'), ['not-affected']);
  assert.deepEqual(fixedOf('Red Hat:enterprise_linux:9', 'kernel'), ['not-affected']);
  assert.equal(
    pick(rows, 'CVE-2022-0847', 'Red Hat:enterprise_linux:8', 'kernel')[0]!.advisory,
    'RHSA-2022:0825',
  );
  for (const [cpe, eco] of [
    ['cpe:/o:redhat:enterprise_linux:10.0', 'Red Hat:enterprise_linux:10'],
    ['cpe:/a:redhat:enterprise_linux:8::nfv', 'Red Hat:enterprise_linux:8'],
    ['cpe:/a:redhat:rhel_extras_rt_els:7', 'Red Hat:rhel_els:7'],
    ['cpe:/a:redhat:rhel_extras_other:7', 'Red Hat:enterprise_linux:7'],
    ['cpe:/a:redhat:rhel_e4s:9.0::nfv', 'Red Hat:rhel_e4s:9.0'],
    ['cpe:/a:redhat:openshift:4.12::el8', null],
  ] as const)
    assert.equal(redHatCpeEcosystem(cpe), eco, cpe);
});

test('a Rocky, an AlmaLinux and a Red Hat record of the same fix agree (1:1 rebuilds)', () => {
  const alma = distroFixesFromOsv(
    json('almalinux/advisories/almalinux8/ALSA-2022:0825.json'),
    (c) => c === 'CVE-2022-0847',
  );
  const rocky = distroFixesFromCsaf(json('rocky/crlsa-2022-0825.trimmed.json'), (c) => c === 'CVE-2022-0847');
  const rh = fixesFromRedHatExtract(
    JSON.parse(
      fs.readFileSync(path.join(REPO, 'scripts/distro-data/inputs/redhat/CVE-2022-0847.json'), 'utf8'),
    ) as RedHatExtract,
  );
  const v = (rows: DistroFix[], eco: string) => pick(rows, 'CVE-2022-0847', eco, 'kernel')[0]?.fixed;
  assert.equal(v(alma, 'AlmaLinux:8'), v(rocky, 'Rocky Linux:8'));
  assert.equal(v(alma, 'AlmaLinux:8'), v(rh, 'Red Hat:enterprise_linux:8'));
  assert.equal(
    alma[0]!.advisory!.slice(4),
    rh
      .find(
        (r) => r.status === 'fixed' && r.ecosystem === 'Red Hat:enterprise_linux:8' && r.package === 'kernel',
      )!
      .advisory!.slice(4),
  );
});

test('Debian changelogs: the lowest upload naming a CVE fixes it, with its date', () => {
  const entries = parseChangelog(
    fs.readFileSync(path.join(RECORDS, 'debian/runc-bookworm.changelog.excerpt'), 'utf8'),
  );
  assert.deepEqual(
    entries.map((e) => [e.version, e.distribution, e.date, e.cves]),
    [
      ['1.1.5+ds1-1+deb12u1', 'bookworm-security', '2024-02-02', ['CVE-2024-21626']],
      [
        '1.1.5+ds1-1',
        'unstable',
        '2023-03-29',
        ['CVE-2019-19921', 'CVE-2023-25809', 'CVE-2023-27561', 'CVE-2023-28642'],
      ],
      ['1.0.0~rc6+dfsg1-2', 'unstable', '2019-02-12', ['CVE-2019-5736']],
      ['1.0.0~rc6+dfsg1-1', 'unstable', '2019-01-25', []],
    ],
  );
  const first = firstNamingEntries(entries, all);
  assert.deepEqual(first.get('CVE-2024-21626'), { version: '1.1.5+ds1-1+deb12u1', date: '2024-02-02' });
  // 1.1.5 re-names CVE-2019-19921 ("re-introduced"): the lowest naming upload in this excerpt wins.
  assert.equal(first.get('CVE-2019-5736')?.version, '1.0.0~rc6+dfsg1-2');
  // Hostile text: no header, CRLF, a 10 MB line: no throw, no entries invented.
  assert.deepEqual(parseChangelog('x'.repeat(10_000_000)), []);
  assert.equal(parseChangelog('runc (1.0-1) unstable; urgency=low\r\n  * CVE-2024-0001\r\n').length, 1);
});

test('ecosystems, CVE ids and relevant packages follow the contract', () => {
  assert.equal(
    normalizeOsvEcosystem('SUSE:Linux Enterprise Module for Basesystem 15 SP3'),
    'SUSE:Linux Enterprise Server 15 SP3',
  );
  assert.equal(
    normalizeOsvEcosystem('SUSE:Linux Enterprise Server 12 SP5'),
    'SUSE:Linux Enterprise Server 12 SP5',
  );
  assert.equal(normalizeOsvEcosystem('Red Hat:enterprise_linux:9::appstream'), 'Red Hat:enterprise_linux:9');
  assert.equal(normalizeOsvEcosystem('Ubuntu:22.04:LTS'), 'Ubuntu:22.04:LTS');
  assert.equal(normalizeOsvEcosystem('npm'), null);
  assert.deepEqual(
    osvCves({ id: 'UBUNTU-CVE-2024-1086', upstream: ['CVE-2024-1086'], related: ['USN-6704-1'] }),
    ['CVE-2024-1086'],
  );
  assert.deepEqual(osvCves({ id: 'ALSA-2022:0825', related: ['CVE-2022-0847', 'NOT-CVE-2022-0001x'] }), [
    'CVE-2022-0847',
  ]);
  for (const p of [
    'linux',
    'linux-hwe-5.15',
    'linux-aws-6.8',
    'linux-nvidia-lowlatency',
    'kernel-default',
    'runc-app',
    'libpod',
  ])
    assert.ok(isRelevantSourcePackage(p), p);
  for (const p of [
    'linux-signed-hwe-5.15',
    'linux-meta',
    'linux-nvidia-tegra-modules',
    'linux-firmware',
    'singularity',
    'buildah',
  ])
    assert.ok(!isRelevantSourcePackage(p), p);
});

test('the AlmaLinux builder reads a directory copy and gives the same bytes twice', () => {
  const tree = openInputTree(path.join(RECORDS, 'almalinux'));
  const keep = new Set(['CVE-2022-0847', 'CVE-2024-21626', 'CVE-2023-0386']);
  const a = buildAlmaLinux(tree, keep, () => {});
  const b = buildAlmaLinux(openInputTree(path.join(RECORDS, 'almalinux')), keep, () => {});
  assert.deepEqual(a, b);
  assert.deepEqual(
    a.fixes.map((f) => `${f.cve} ${f.ecosystem} ${f.package} ${f.fixed}`),
    [
      'CVE-2022-0847 AlmaLinux:8 kernel 4.18.0-348.20.1.el8_5',
      'CVE-2023-0386 AlmaLinux:8 kernel 4.18.0-425.19.2.el8_7',
      'CVE-2024-21626 AlmaLinux:9 runc 4:1.1.12-1.el9_3',
    ],
  );
  assert.equal(a.date, '2024-02-06', 'the newest "modified" among the records read');
});

test('minimizeFixes keeps the first fix per version line and drops "affected" beside a fix', () => {
  const f = (status: DistroFix['status'], fixed?: string, advisory?: string): DistroFix => ({
    cve: 'CVE-2099-0001',
    ecosystem: 'AlmaLinux:8',
    package: 'podman',
    status,
    ...(fixed ? { fixed } : {}),
    ...(advisory ? { advisory } : {}),
  });
  const out = minimizeFixes([
    f('fixed', '3:4.4.1-8.module_el8.8.0+3568', 'B'),
    f('fixed', '3:4.4.1-3.module_el8.8.0+3500', 'A'),
    f('fixed', '2:4.0.2-20.module_el8.8.0+3468', 'C'),
    f('unfixed'),
  ]);
  assert.deepEqual(
    out.map((r) => [r.fixed, r.advisory]),
    [
      ['2:4.0.2-20.module_el8.8.0+3468', 'C'],
      ['3:4.4.1-3.module_el8.8.0+3500', 'A'],
    ],
  );
  assert.deepEqual(
    minimizeFixes([f('not-affected'), f('unfixed')]).map((r) => r.status),
    ['unfixed'],
  );
});
