// The shipped distribution data: rebuilt from the committed extracts it gives the same bytes, it holds the
// hand-verified fixed versions of advisory-sources.md (with versions on both sides of each), and each distribution's
// tracker agrees with what its changelogs say.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadBuiltinAdvisories } from '../../../src/advisories/load-advisories.js';
import { builderPaths, runBuild } from '../../../src/advisories/sources/build-distro-data.js';
import {
  fixesFromDebianTrackerExtract,
  type DebianTrackerExtract,
} from '../../../src/advisories/sources/debian-tracker-extract.js';
import type { ChangelogExtract } from '../../../src/advisories/sources/fetch-changelogs.js';
import { fixesFromChangelogExtract } from '../../../src/advisories/sources/build-from-changelogs.js';
import { fixesFromSuseExtract, type SuseExtract } from '../../../src/advisories/sources/suse-advisory.js';
import {
  fixesFromUbuntuTracker,
  type UbuntuTrackerExtract,
} from '../../../src/advisories/sources/ubuntu-cve-tracker.js';
import { compareDebian } from '../../../src/version/compare-debian.js';
import { compareRpm } from '../../../src/version/compare-rpm.js';
import { REPO } from '../../helpers/tree.js';

const INPUTS = path.join(REPO, 'scripts/distro-data/inputs');
const input = <T>(rel: string) => JSON.parse(fs.readFileSync(path.join(INPUTS, rel), 'utf8')) as T;
const distro = loadBuiltinAdvisories().distro;
const row = (source: string, cve: string, eco: string, pkg: string) =>
  distro
    .find((s) => s.id === source)
    ?.fixes.filter((f) => f.cve === cve && f.ecosystem === eco && f.package === pkg) ?? [];

test('rebuilding from the committed extracts gives the shipped files byte for byte', () => {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-rebuild-'));
  fs.cpSync(path.join(REPO, 'advisories'), path.join(repo, 'advisories'), { recursive: true });
  fs.cpSync(INPUTS, path.join(repo, 'scripts/distro-data/inputs'), { recursive: true });
  const written: string[] = [];
  runBuild(builderPaths(repo), {}, (s) => written.push(s.split(':')[0]!));
  assert.ok(written.length >= 6, written.join(', '));
  for (const id of written) {
    const name = `advisories/distro/${id}.json`;
    assert.equal(
      fs.readFileSync(path.join(repo, name), 'utf8'),
      fs.readFileSync(path.join(REPO, name), 'utf8'),
      name,
    );
  }
});

/** advisory-sources.md "Verified fixed versions", with an installed version below and one above each. */
const ORACLE: [string, string, string, string, string, string, string][] = [
  // [source, cve, ecosystem, package, below, fixed, above]
  [
    'ubuntu-cve-tracker',
    'CVE-2022-0847',
    'Ubuntu:22.04:LTS',
    'linux',
    '5.15.0-18.18',
    '5.15.0-23.23',
    '5.15.0-25.25',
  ],
  [
    'ubuntu-cve-tracker',
    'CVE-2022-0847',
    'Ubuntu:22.04:LTS',
    'linux-aws',
    '5.15.0-1002.4',
    '5.15.0-1003.5',
    '5.15.0-1004.6',
  ],
  [
    'redhat-security-data',
    'CVE-2022-0847',
    'Red Hat:enterprise_linux:8',
    'kernel',
    '4.18.0-348.12.2.el8_5',
    '4.18.0-348.20.1.el8_5',
    '4.18.0-348.23.1.el8_5',
  ],
  [
    'redhat-security-data',
    'CVE-2022-0847',
    'Red Hat:rhel_eus:8.4',
    'kernel',
    '4.18.0-305.34.2.el8_4',
    '4.18.0-305.40.2.el8_4',
    '4.18.0-305.45.1.el8_4',
  ],
  [
    'redhat-security-data',
    'CVE-2022-0847',
    'Red Hat:enterprise_linux:8',
    'kernel-rt',
    '4.18.0-348.12.2.rt7.143.el8_5',
    '4.18.0-348.20.1.rt7.150.el8_5',
    '4.18.0-348.23.1.rt7.153.el8_5',
  ],
  [
    'almalinux-osv',
    'CVE-2022-0847',
    'AlmaLinux:8',
    'kernel',
    '4.18.0-348.12.2.el8_5',
    '4.18.0-348.20.1.el8_5',
    '4.18.0-348.23.1.el8_5',
  ],
  [
    'rocky-csaf',
    'CVE-2022-0847',
    'Rocky Linux:8',
    'kernel',
    '4.18.0-348.12.2.el8_5',
    '4.18.0-348.20.1.el8_5',
    '4.18.0-348.23.1.el8_5',
  ],
  [
    'suse-advisories',
    'CVE-2022-0847',
    'SUSE:Linux Enterprise Server 15 SP3',
    'kernel-default',
    '5.3.18-150300.59.49.1',
    '5.3.18-150300.59.54.1',
    '5.3.18-150300.59.60.4',
  ],
  [
    'suse-advisories',
    'CVE-2024-1086',
    'SUSE:Linux Enterprise Server 12 SP5',
    'kernel-default',
    '4.12.14-122.113.1',
    '4.12.14-122.194.1',
    '4.12.14-122.237.1',
  ],
  [
    'suse-advisories',
    'CVE-2024-1086',
    'SUSE:Linux Enterprise Server 15 SP3',
    'kernel-default',
    '5.3.18-150300.59.130.1',
    '5.3.18-150300.59.150.1',
    '5.3.18-150300.59.185.1',
  ],
  [
    'almalinux-osv',
    'CVE-2022-0185',
    'AlmaLinux:8',
    'kernel',
    '4.18.0-348.7.1.el8_5',
    '4.18.0-348.12.2.el8_5',
    '4.18.0-348.20.1.el8_5',
  ],
  [
    'rocky-csaf',
    'CVE-2022-0185',
    'Rocky Linux:8',
    'kernel',
    '4.18.0-348.7.1.el8_5',
    '4.18.0-348.12.2.el8_5',
    '4.18.0-348.20.1.el8_5',
  ],
  [
    'almalinux-osv',
    'CVE-2021-22555',
    'AlmaLinux:8',
    'kernel',
    '4.18.0-305.10.2.el8_4',
    '4.18.0-305.12.1.el8_4',
    '4.18.0-305.17.1.el8_4',
  ],
  [
    'almalinux-osv',
    'CVE-2023-0386',
    'AlmaLinux:8',
    'kernel',
    '4.18.0-425.13.1.el8_7',
    '4.18.0-425.19.2.el8_7',
    '4.18.0-477.10.1.el8_8',
  ],
  [
    'almalinux-osv',
    'CVE-2023-0386',
    'AlmaLinux:9',
    'kernel',
    '5.14.0-162.22.2.el9_1',
    '5.14.0-162.23.1.el9_1',
    '5.14.0-284.11.1.el9_2',
  ],
  [
    'almalinux-osv',
    'CVE-2024-1086',
    'AlmaLinux:8',
    'kernel',
    '4.18.0-513.18.1.el8_9',
    '4.18.0-513.24.1.el8_9',
    '4.18.0-553.el8_10',
  ],
  [
    'almalinux-osv',
    'CVE-2024-1086',
    'AlmaLinux:9',
    'kernel',
    '5.14.0-362.24.1.el9_3',
    '5.14.0-427.13.1.el9_4',
    '5.14.0-427.16.1.el9_4',
  ],
  [
    'almalinux-osv',
    'CVE-2024-21626',
    'AlmaLinux:9',
    'runc',
    '4:1.1.11-1.el9_3',
    '4:1.1.12-1.el9_3',
    '4:1.1.12-2.el9_3',
  ],
];

test('the shipped data holds the hand-verified fixed versions, and they compare on both sides', () => {
  for (const [source, cve, eco, pkg, below, fixed, above] of ORACLE) {
    const rows = row(source, cve, eco, pkg);
    assert.deepEqual(
      rows.map((r) => [r.status, r.fixed]),
      [['fixed', fixed]],
      `${source} ${cve} ${eco} ${pkg}`,
    );
    const cmp = /^(Debian|Ubuntu):/.test(eco) ? compareDebian : compareRpm;
    assert.equal(cmp(below, fixed), -1, `${below} < ${fixed}`);
    assert.equal(cmp(fixed, fixed), 0);
    assert.equal(cmp(above, fixed), 1, `${above} > ${fixed}`);
  }
});

/** The version a changelog extract gives for CVE: the lowest upload whose entry names it. */
const changelogFix = (file: string, cve: string) =>
  fixesFromChangelogExtract(input<ChangelogExtract>(file), (c) => c === cve)[0]?.fixed;

test("Ubuntu's tracker and Ubuntu's changelogs agree where both speak (CVE-2022-0847, focal linux-aws-5.13)", () => {
  const tracker = fixesFromUbuntuTracker(input<UbuntuTrackerExtract>('ubuntu-tracker/CVE-2022-0847.json'));
  const t = tracker.find((f) => f.ecosystem === 'Ubuntu:20.04:LTS' && f.package === 'linux-aws-5.13')!;
  assert.deepEqual([t.status, t.fixed], ['fixed', '5.13.0-1017.19~20.04.1']);
  assert.equal(changelogFix('changelogs/ubuntu-focal-linux-aws-5.13.json', 'CVE-2022-0847'), t.fixed);
  // Statuses: "not-affected" with a version is a fix before the release; without one, not affected; DNE gives no row.
  assert.deepEqual(
    tracker
      .filter((f) => f.ecosystem === 'Ubuntu:22.04:LTS')
      .map((f) => [f.package, f.status, f.fixed ?? null]),
    [
      ['linux', 'fixed', '5.15.0-23.23'],
      ['linux-aws', 'fixed', '5.15.0-1003.5'],
      ['linux-aws-5.19', 'not-affected', null],
      ['linux-aws-6.2', 'not-affected', null],
      ['linux-aws-6.5', 'not-affected', null],
    ],
  );
});

test("Debian's tracker and Debian's changelogs agree on CVE-2024-1086 in bullseye and bookworm; buster from DLA-3840-1", () => {
  const keep = (c: string) => c === 'CVE-2024-1086';
  const rows = [
    ...fixesFromDebianTrackerExtract(input<DebianTrackerExtract>('debian-tracker/CVE-2024-1086.json'), keep),
    ...fixesFromDebianTrackerExtract(input<DebianTrackerExtract>('debian-tracker/DLA-3840-1.json'), keep),
  ];
  for (const [codename, eco] of [
    ['bullseye', 'Debian:11'],
    ['bookworm', 'Debian:12'],
  ]) {
    assert.equal(
      changelogFix(`changelogs/debian-${codename}-linux.json`, 'CVE-2024-1086'),
      rows.find((r) => r.ecosystem === eco)?.fixed,
      codename,
    );
  }
  assert.deepEqual(
    rows.filter((r) => r.ecosystem === 'Debian:10').map((r) => [r.fixed, r.advisory, r.date]),
    [['4.19.316-1', 'DLA-3840-1', '2024-06-25']],
  );
  const dp = fixesFromDebianTrackerExtract(
    input<DebianTrackerExtract>('debian-tracker/CVE-2022-0847.json'),
    () => true,
  );
  assert.deepEqual(
    dp.map((r) => [r.ecosystem, r.status]),
    [['Debian:10', 'not-affected']],
    'unstable and stretch give no row',
  );
});

test("Debian's tracker: release-team markers are open, a release without a line follows unstable's as the tracker does", () => {
  const rows = (cve: string) =>
    fixesFromDebianTrackerExtract(input<DebianTrackerExtract>(`debian-tracker/${cve}.json`), () => true).map(
      (r) => [r.ecosystem, r.package, r.status, r.fixed ?? null],
    );
  // "[bookworm] - runc <no-dsa>", "[bullseye] - runc <postponed>": affected there, no fix released. Unstable's
  // "<unfixed>" speaks for trixie (no line of its own); buster had left security support.
  assert.deepEqual(rows('CVE-2024-45310'), [
    ['Debian:12', 'runc', 'unfixed', null],
    ['Debian:11', 'runc', 'unfixed', null],
    ['Debian:13', 'runc', 'unfixed', null],
  ]);
  // "- crun <not-affected> (krun handler not enabled in Debian)": every release.
  assert.deepEqual(
    rows('CVE-2025-24965').map((r) => [r[0], r[2]]),
    ['Debian:10', 'Debian:11', 'Debian:12', 'Debian:13'].map((e) => [e, 'not-affected']),
  );
  // Unstable fixed in 5.8.1+ds1-2 and no DSA/DLA: trixie's older podman is affected until it reaches that version.
  assert.deepEqual(rows('CVE-2026-55686'), [['Debian:13', 'podman', 'fixed', '5.8.1+ds1-2']]);
  // A release's own line decides over unstable's.
  assert.deepEqual(rows('CVE-2026-30892'), [
    ['Debian:13', 'crun', 'unfixed', null],
    ['Debian:12', 'crun', 'not-affected', null],
    ['Debian:11', 'crun', 'not-affected', null],
  ]);
});

test("a tracker's 'unfixed' or 'undetermined' yields to a changelog that names the CVE (trixie's runc, noble's libpod)", () => {
  assert.equal(changelogFix('changelogs/debian-trixie-runc.json', 'CVE-2024-45310'), '1.1.15+ds1-1');
  assert.deepEqual(row('debian-tracker', 'CVE-2024-45310', 'Debian:13', 'runc'), []);
  assert.deepEqual(
    row('debian-changelogs', 'CVE-2024-45310', 'Debian:13', 'runc').map((f) => [f.status, f.fixed]),
    [['fixed', '1.1.15+ds1-1']],
  );
  assert.deepEqual(
    row('debian-tracker', 'CVE-2024-45310', 'Debian:12', 'runc').map((f) => f.status),
    ['unfixed'],
  );
  // Ubuntu's "needs-triage" for noble's libpod yields to its 3.4.6+ds1-1 changelog; jammy's stays undetermined.
  assert.deepEqual(row('ubuntu-cve-tracker', 'CVE-2022-27649', 'Ubuntu:24.04:LTS', 'libpod'), []);
  assert.deepEqual(
    row('ubuntu-changelogs', 'CVE-2022-27649', 'Ubuntu:24.04:LTS', 'libpod').map((f) => f.fixed),
    ['3.4.6+ds1-1'],
  );
  assert.deepEqual(
    row('ubuntu-cve-tracker', 'CVE-2022-27649', 'Ubuntu:22.04:LTS', 'libpod').map((f) => f.status),
    ['undetermined'],
  );
});

test('SUSE advisories: every kept CVE is fixed at the version the advisory ships, per kernel flavour', () => {
  const rows = fixesFromSuseExtract(
    input<SuseExtract>('suse/SUSE-SU-2022-0760-1.json'),
    (c) => c === 'CVE-2022-0847',
  );
  assert.deepEqual(
    rows.map((r) => [r.ecosystem, r.package, r.fixed, r.advisory]),
    [
      [
        'SUSE:Linux Enterprise Server 15 SP3',
        'kernel-default',
        '5.3.18-150300.59.54.1',
        'SUSE-SU-2022:0760-1',
      ],
      ['SUSE:Linux Enterprise Server 15 SP3', 'kernel-64kb', '5.3.18-150300.59.54.1', 'SUSE-SU-2022:0760-1'],
    ],
  );
});

test('every shipped source names its licence, and every release is one the contract spells', () => {
  const release =
    /^(Debian:1[0-3]|Ubuntu:(18|20|22|24)\.04:LTS|AlmaLinux:(8|9|10)|Rocky Linux:(8|9|10)|Red Hat:(enterprise_linux|rhel_els):(7|8|9|10)|Red Hat:rhel_(eus|e4s|aus|tus):(7|8|9)\.\d+|SUSE:Linux Enterprise Server (12 SP5|15 SP[3-7]))$/;
  for (const s of distro) {
    assert.ok(s.license.length > 2, s.id);
    for (const f of s.fixes) assert.match(f.ecosystem, release, `${s.id}: ${f.cve} ${f.ecosystem}`);
  }
});
