// Advisory matching is exact per ecosystem, distribution-aware, and judged against this host's configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { runCheck } from '../../src/cli/check-command.js';
import { loadAdvisoryDir } from '../../src/advisories/load-advisories.js';
import { FIXTURES, writeTree } from '../helpers/tree.js';

interface Rec {
  id: string;
  affected: unknown[];
  pre?: Record<string, unknown>;
  severity?: string;
}

function record(r: Rec): string {
  return JSON.stringify({
    schema_version: '1.6.0',
    id: r.id,
    aliases: [],
    summary: `test advisory ${r.id}`,
    affected: r.affected,
    references: [{ type: 'WEB', url: `https://example.invalid/${r.id}` }],
    database_specific: {
      ctrsafe: {
        severity: r.severity ?? 'high',
        preconditions: r.pre ?? {},
        confirmed_from: ['https://example.invalid/source'],
        unconfirmed: [],
      },
    },
  });
}

const goRange = (mod: string, target: string, introduced: string, fixed: string) => ({
  package: { ecosystem: 'Go', name: mod },
  ranges: [{ type: 'SEMVER', events: [{ introduced }, { fixed }] }],
  database_specific: { ctrsafe_target: target },
});

const kernel = (ranges: [string, string][]) => ({
  package: { ecosystem: 'Linux', name: 'Kernel' },
  ranges: ranges.map(([introduced, fixed]) => ({ type: 'ECOSYSTEM', events: [{ introduced }, { fixed }] })),
  database_specific: { ctrsafe_target: 'kernel' },
});

function db(records: Rec[]): string {
  return writeTree(Object.fromEntries(records.map((r) => [`${r.id}.json`, record(r)])));
}

async function vulns(host: string, records: Rec[], extraTree?: Record<string, string>) {
  const root = extraTree ? writeTree(extraTree) : path.join(FIXTURES, host);
  const { report } = await runCheck({ root, advisoriesDir: db(records) });
  return report;
}

test('a setuid-only Apptainer flaw is affected but mitigated where Apptainer runs without setuid', async () => {
  const adv: Rec = {
    id: 'TEST-APPT-SUID',
    affected: [goRange('github.com/apptainer/apptainer', 'apptainer', '0', '1.3.5')],
    pre: { setuid_mode: true },
  };
  // rocky9: EPEL's Apptainer 1.3.4-1.el9 without starter-suid. RHEL does not ship Apptainer and EPEL's build
  // tracks upstream releases, so upstream ranges judge it (issue 12); the exposure is judged all the same.
  const unpriv = await vulns('rocky9', [adv]);
  const v = unpriv.vulnerabilities.find((x) => x.id === 'TEST-APPT-SUID')!;
  assert.equal(v.match, 'affected', v.reason);
  assert.match(v.reason, /upstream build: rocky 9.4 does not ship it/);
  assert.equal(v.exposure, 'mitigated');
  assert.equal(v.status, 'mitigated', 'mitigated by this host whether or not EPEL backported the fix');
  assert.match(v.reason, /runs without setuid/);
  const setuid = await vulns('apptainer-setuid', [
    { ...adv, affected: [goRange('github.com/apptainer/apptainer', 'apptainer', '0', '1.4.0')] },
  ]);
  // apptainer-setuid: Apptainer's own upstream .deb 1.3.6 with apptainer-suid.
  const s = setuid.vulnerabilities.find((x) => x.id === 'TEST-APPT-SUID')!;
  assert.equal(s.status, 'affected', s.reason);
  assert.equal(s.exposure, 'exploitable');
  assert.deepEqual(
    [s.package, s.installed_version, s.fixed_version],
    ['Go/github.com/apptainer/apptainer', '1.3.6', '1.4.0'],
  );
  const rt = setuid.runtimes.find((r) => r.id === 'apptainer')!;
  assert.equal(rt.risk, 'high', 'the worst unmitigated match sets the runtime risk');
  const fixed = await vulns('apptainer-setuid', [
    { ...adv, affected: [goRange('github.com/apptainer/apptainer', 'apptainer', '0', '1.3.5')] },
  ]);
  assert.equal(fixed.vulnerabilities.length, 0, '1.3.6 is past the fix');
  assert.equal(fixed.advisories.not_affected, 1);
});

test('a config key that gates the flaw mitigates it when set safely, using the shipped default when unset', async () => {
  const adv: Rec = {
    id: 'TEST-EXTFS',
    affected: [goRange('github.com/apptainer/apptainer', 'apptainer', '0', '9.9.9')],
    pre: {
      setuid_mode: true,
      config: [{ target: 'apptainer', key: 'allow setuid-mount extfs', in: ['yes'], default: 'no' }],
    },
  };
  const r = await vulns('apptainer-setuid', [adv]);
  const v = r.vulnerabilities[0]!;
  assert.equal(v.status, 'mitigated', v.reason);
  assert.match(v.reason, /allow setuid-mount extfs = no/);
});

test('a user-namespace kernel flaw is mitigated where unprivileged user namespaces are off', async () => {
  // centos7-default: max_user_namespaces=0; its RHEL kernel has no Red Hat record here, so the match is unknown.
  const adv: Rec = {
    id: 'TEST-USERNS-KERNEL',
    affected: [kernel([['3.8', '6.8']])],
    pre: { unprivileged_userns: true },
  };
  const r = await vulns('centos7-default', [adv]);
  const v = r.vulnerabilities[0]!;
  assert.equal(v.match, 'unknown', 'mainline ranges never judge a distribution kernel');
  assert.match(v.reasons[0]!, /no centos 7 record for kernel in the database/);
  assert.equal(v.status, 'mitigated');
});

test('mainline kernels are matched on their ranges, stable branches included', async () => {
  const adv: Rec = {
    id: 'TEST-NFT',
    affected: [
      kernel([
        ['3.15', '6.8'],
        ['6.1', '6.1.76'],
        ['5.15', '5.15.149'],
      ]),
    ],
  };
  const tree = (release: string) => ({
    'etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
    'proc/sys/kernel/osrelease': `${release}\n`,
    'proc/version': `Linux version ${release} (builder@site) #1 SMP\n`,
  });
  const status = async (release: string) =>
    (await vulns('', [adv], tree(release))).vulnerabilities[0]?.status ?? 'not-affected';
  assert.equal(await status('6.1.70'), 'affected');
  assert.equal(await status('6.1.80'), 'not-affected');
  assert.equal(await status('5.15.149'), 'not-affected');
  assert.equal(await status('6.6.10'), 'affected', 'no 6.6 stable fix recorded: the mainline range decides');
  assert.equal(await status('6.9.1'), 'not-affected');
  assert.equal(await status('4.19.300'), 'affected', 'no 4.19 stable fix recorded');
  assert.equal(await status('3.14.79'), 'not-affected', 'before the flaw was introduced in 3.15');
});

test('a distribution kernel is decided by its own fixed version where the database has one', async () => {
  const debianKernel = (fixed: string) => ({
    package: { ecosystem: 'Debian:12', name: 'linux' },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
    database_specific: { ctrsafe_target: 'kernel' },
  });
  const tree = {
    'etc/os-release': 'ID=debian\nVERSION_ID="12"\n',
    'proc/sys/kernel/osrelease': '6.1.0-13-amd64\n',
    'proc/version':
      'Linux version 6.1.0-13-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)\n',
  };
  const affected = await vulns(
    '',
    [{ id: 'TEST-DEB', affected: [kernel([['3.15', '6.8']]), debianKernel('6.1.76-1')] }],
    tree,
  );
  assert.equal(affected.vulnerabilities[0]!.status, 'affected');
  assert.equal(affected.vulnerabilities[0]!.installed_version, '6.1.55-1');
  assert.equal(affected.vulnerabilities[0]!.fixed_version, '6.1.76-1');
  assert.equal(affected.vulnerabilities[0]!.package, 'Debian:12/linux');
  const fixed = await vulns(
    '',
    [{ id: 'TEST-DEB', affected: [kernel([['3.15', '6.1.30']]), debianKernel('6.1.52-1')] }],
    tree,
  );
  assert.equal(fixed.vulnerabilities.length, 0, 'the Debian record decides, not the mainline range');
  const ubuntuOnly = await vulns(
    '',
    [
      {
        id: 'TEST-UBU',
        affected: [
          {
            package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'linux' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '5.15.0-75.82' }] }],
            database_specific: { ctrsafe_target: 'kernel' },
          },
        ],
      },
    ],
    tree,
  );
  assert.equal(
    ubuntuOnly.vulnerabilities.length,
    0,
    'an Ubuntu-patch flaw does not exist in a Debian kernel',
  );
});

test('a runtime from a distribution package: upstream ranges alone give "unknown", the distribution record decides', async () => {
  const podmanUp = goRange('github.com/containers/podman/v4', 'podman', '4.0.0', '4.4.0');
  const up = await vulns('debian12', [{ id: 'TEST-PODMAN', affected: [podmanUp] }]);
  const v = up.vulnerabilities[0]!;
  assert.equal(v.status, 'unknown');
  assert.match(
    v.reasons[0]!,
    /debian 12 build that may carry a backported fix: the database has no debian 12 record for libpod/,
  );
  const deb = {
    package: { ecosystem: 'Debian:12', name: 'podman' },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '4.3.1+ds1-8+deb12u1' }] }],
    database_specific: { ctrsafe_target: 'podman' },
  };
  const withDeb = await vulns('debian12', [{ id: 'TEST-PODMAN', affected: [podmanUp, deb] }]);
  assert.equal(withDeb.vulnerabilities.length, 0, 'Debian fixed it in the installed +deb12u1 build');
});

test('bad advisory files are reported one line each; good ones still load', () => {
  const dir = writeTree({
    'good.json': record({ id: 'TEST-OK', affected: [goRange('m', 'podman', '0', '1')] }),
    'garbage.json': '{"id": ',
    'no-source.json': JSON.stringify({
      id: 'X',
      summary: 's',
      affected: [{ package: { ecosystem: 'Go', name: 'm' }, ranges: [] }],
      database_specific: { ctrsafe: { severity: 'high', confirmed_from: [] } },
    }),
    'bad-range.json': JSON.stringify({
      id: 'Y',
      summary: 's',
      affected: [
        {
          package: { ecosystem: 'Go', name: 'm' },
          ranges: [{ type: 'SEMVER', events: [{ fixed: '1', introduced: '0' }] }],
        },
      ],
      database_specific: { ctrsafe: { severity: 'high', confirmed_from: ['u'] } },
    }),
  });
  const set = loadAdvisoryDir(dir);
  assert.deepEqual(
    set.advisories.map((a) => a.id),
    ['TEST-OK'],
  );
  assert.equal(set.problems.length, 3);
  for (const p of set.problems) assert.ok(!p.includes('\n'));
  assert.match(set.problems.join(' '), /not valid JSON/);
  assert.match(set.problems.join(' '), /confirmed_from must cite/);
  assert.match(set.problems.join(' '), /malformed event/);
});

test('every shipped advisory is a valid record that cites its sources', async () => {
  const set = loadAdvisoryDir(path.join(FIXTURES, '../../../advisories'));
  assert.deepEqual(set.problems, []);
  for (const a of set.advisories) {
    assert.ok(
      a.ctrsafe.confirmed_from.every((u) => /^https:\/\//.test(u)),
      `${a.id} cites non-URL sources`,
    );
    assert.ok(
      a.affected.some((x) => x.database_specific?.ctrsafe_target),
      `${a.id} applies to nothing ctrsafe checks`,
    );
    // A date to come would make the data's age negative (`--version` said "-1 days old") and hide its staleness.
    for (const [what, when] of [
      ['modified', a.modified],
      ['published', a.published],
    ] as const)
      assert.ok(
        when === undefined || Date.parse(when) <= Date.now(),
        `${a.id} is ${what} ${when}, after today`,
      );
  }
});

test('Go major-version modules only speak for their own major (semantic import versioning)', async () => {
  // vulndb style: "podman/v4 affected from 0 with no fix" must not flag Podman 3.x; the plain module covers the rest.
  const adv: Rec = {
    id: 'TEST-GOMAJOR',
    affected: [
      {
        package: { ecosystem: 'Go', name: 'github.com/containers/podman/v4' },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }],
        database_specific: { ctrsafe_target: 'podman' },
      },
      {
        package: { ecosystem: 'Go', name: 'github.com/containers/podman' },
        ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '3.4.0' }] }],
        database_specific: { ctrsafe_target: 'podman' },
      },
    ],
  };
  // ubuntu2204 has Podman 3.4.4 from Ubuntu: outside both; apptainer-setuid has no Podman.
  const r = await vulns('ubuntu2204', [adv]);
  assert.equal(
    r.vulnerabilities.filter((v) => v.id === 'TEST-GOMAJOR').length,
    0,
    JSON.stringify(r.vulnerabilities.map((v) => v.reason)),
  );
  const r4 = await vulns('ubuntu2404', [adv]); // Podman 4.9.3: the /v4 entry applies (a distribution build: unknown, not cleared)
  assert.equal(r4.vulnerabilities.find((v) => v.id === 'TEST-GOMAJOR')?.match, 'unknown');
});

test('the built-in database is exactly the shipped files, each valid', async () => {
  const { loadBuiltinAdvisories } = await import('../../src/advisories/load-advisories.js');
  const builtin = loadBuiltinAdvisories();
  const files = loadAdvisoryDir(path.join(FIXTURES, '../../../advisories'));
  assert.deepEqual(files.problems, []);
  assert.deepEqual(builtin.advisories.map((a) => a.id).sort(), files.advisories.map((a) => a.id).sort());
  const byId = new Map(files.advisories.map((a) => [a.id, a]));
  for (const a of builtin.advisories) {
    const f = byId.get(a.id)!;
    assert.deepEqual(
      [a.affected, a.ctrsafe.severity, a.ctrsafe.preconditions],
      [f.affected, f.ctrsafe.severity, f.ctrsafe.preconditions],
      a.id,
    );
  }
});

test('a distribution record for another kernel source package (linux-oem-6.0) does not judge the generic kernel', async () => {
  const oem = {
    package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'linux-oem-6.0' },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '6.0.0-1020.20' }] }],
    database_specific: { ctrsafe_target: 'kernel' },
  };
  const r = await vulns('ubuntu2204', [{ id: 'TEST-OEM', affected: [oem] }]);
  const v = r.vulnerabilities[0]!;
  assert.equal(v.match, 'unknown', v.reason);
  assert.match(
    v.reason,
    /only for other kernels \(Ubuntu:22.04:LTS\/linux-oem-6.0\), none for ubuntu 22.04's linux/,
  );
  const generic = {
    ...oem,
    package: { ecosystem: 'Ubuntu:22.04:LTS', name: 'linux' },
    ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '5.15.0-101.111' }] }],
  };
  const r2 = await vulns('ubuntu2204', [{ id: 'TEST-OEM', affected: [oem, generic] }]);
  assert.equal(r2.vulnerabilities[0]!.match, 'affected');
  assert.equal(r2.vulnerabilities[0]!.fixed_version, '5.15.0-101.111');
});
