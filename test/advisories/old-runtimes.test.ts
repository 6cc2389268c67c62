// Hosts with old runtime packages, read from dpkg status and a real RPM database, list exactly the advisories
// whose ranges cover what is installed, with the exposure that the runtime's mode gives them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCheck } from '../../src/cli/check-command.js';
import { loadAdvisoryDir } from '../../src/advisories/load-advisories.js';
import { compareUpstream } from '../../src/version/compare-upstream.js';
import { rpmDatabase } from '../helpers/rpmdb.js';
import { FIXTURES, REPO } from '../helpers/tree.js';

const db = loadAdvisoryDir(path.join(REPO, 'advisories'));

/** An independent reading of the ranges: [introduced, fixed) or [introduced, last_affected], for upstream versions. */
function expectedIds(target: string, version: string): string[] {
  const major = Number(version.split('.')[0]);
  const ids: string[] = [];
  for (const a of db.advisories) {
    const entries = a.affected.filter(
      (x) =>
        x.database_specific?.ctrsafe_target === target &&
        ['Go', 'ctrsafe:upstream'].includes(x.package.ecosystem),
    );
    const covered = entries.some((x) => {
      const suffix = /\/v(\d+)$/.exec(x.package.name);
      if (suffix && Number(suffix[1]) !== major) return false;
      if (!suffix && entries.some((y) => /\/v(\d+)$/.exec(y.package.name)?.[1] === String(major)))
        return false;
      return x.ranges.some((r) => {
        const ev = Object.fromEntries(r.events.map((e) => Object.entries(e)[0]!));
        const lo = ev.introduced ?? '0';
        const above = lo === '0' || compareUpstream(version, lo)! >= 0;
        const below = ev.fixed
          ? compareUpstream(version, ev.fixed)! < 0
          : ev.last_affected
            ? compareUpstream(version, ev.last_affected)! <= 0
            : ev.limit
              ? compareUpstream(version, ev.limit)! < 0
              : true;
        return above && below;
      });
    });
    if (covered) ids.push(a.id);
  }
  return ids.sort();
}

function copyFixture(name: string): string {
  const dst = fs.mkdtempSync(path.join(os.tmpdir(), `ctrsafe-${name}-`));
  fs.cpSync(path.join(FIXTURES, name), dst, { recursive: true });
  return dst;
}

test('an RPM node image with upstream Apptainer 1.1.3 in setuid mode and old Podman', async () => {
  const tree = copyFixture('rocky8');
  // Apptainer's own RPMs (no dist tag) with apptainer-suid; Podman from the distribution (module build).
  rpmDatabase(path.join(tree, 'var/lib/rpm'), [
    { name: 'apptainer', version: '1.1.3', release: '1' },
    { name: 'apptainer-suid', version: '1.1.3', release: '1' },
    { name: 'podman', epoch: 2, version: '4.0.2', release: '1.module+el8.6.0+885+d4d4b8c1' },
  ]);
  fs.mkdirSync(path.join(tree, 'usr/libexec/apptainer/bin'), { recursive: true });
  fs.writeFileSync(path.join(tree, 'usr/libexec/apptainer/bin/starter-suid'), '');
  fs.mkdirSync(path.join(tree, 'etc/apptainer'), { recursive: true });
  fs.writeFileSync(path.join(tree, 'etc/apptainer/apptainer.conf'), 'allow setuid = yes\n');
  const m = JSON.parse(fs.readFileSync(path.join(tree, '.ctrsafe-snapshot.json'), 'utf8')) as {
    files: Record<string, unknown>;
    packages: Record<string, string>;
  };
  m.files['/usr/libexec/apptainer/bin/starter-suid'] = { mode: '4755', uid: 0, gid: 0 };
  m.files['/etc/apptainer/apptainer.conf'] = { mode: '0644', uid: 0, gid: 0 };
  delete m.packages.podman;
  fs.writeFileSync(path.join(tree, '.ctrsafe-snapshot.json'), JSON.stringify(m));
  const before = fs.readdirSync(path.join(tree, 'var/lib/rpm')).sort();

  const { report } = await runCheck({ root: tree, dbDir: path.join(tree, 'no-store') });
  const appt = report.runtimes.find((r) => r.id === 'apptainer')!;
  assert.deepEqual([appt.installed, appt.version, appt.mode], [true, '1.1.3', 'setuid']);
  const podman = report.runtimes.find((r) => r.id === 'podman')!;
  assert.equal(podman.version, '4.0.2', 'read from the RPM database');
  assert.deepEqual(
    fs.readdirSync(path.join(tree, 'var/lib/rpm')).sort(),
    before,
    'the tree is not written to',
  );

  const listed = (t: string) =>
    report.vulnerabilities
      .filter((v) => v.target === t)
      .map((v) => v.id)
      .sort();
  const want = expectedIds('apptainer', '1.1.3');
  assert.ok(want.length >= 3, `the database has ${want.length} Apptainer advisories for 1.1.3`);
  assert.deepEqual(listed('apptainer'), want);
  for (const v of report.vulnerabilities.filter((x) => x.target === 'apptainer')) {
    assert.equal(v.match, 'affected', `${v.id}: an upstream RPM is judged on its version`);
    if (v.preconditions.setuid_mode)
      assert.notEqual(v.status, 'mitigated', `${v.id} needs setuid, which this host runs`);
  }
  assert.deepEqual(listed('podman'), expectedIds('podman', '4.0.2'));
  // A distribution build: Rocky's own record decides where it has one (RLSA-2022:1762 fixed CVE-2022-27649 in
  // 2:4.0.2-6 on this module stream), and what no record covers stays unknown because a backport may be in.
  for (const v of report.vulnerabilities.filter((x) => x.target === 'podman'))
    if (v.match !== 'unknown') assert.match(v.decided_by, /Rocky|AlmaLinux|Red Hat/, `${v.id}: ${v.reason}`);
    else assert.match(v.reason, /may carry a backported fix/, v.id);
  const moby = report.vulnerabilities.find((x) => x.target === 'podman' && x.id === 'CVE-2022-27649')!;
  assert.deepEqual(
    [moby.match, moby.fixed_version, moby.advisory],
    ['affected', '2:4.0.2-6.module+el8.6.0+785+d1251653', 'RLSA-2022:1762'],
    moby.reason,
  );
  assert.ok(['high', 'critical'].includes(appt.risk), `apptainer risk ${appt.risk}`);
});

test('a Debian host with Apptainer 1.1.3 from its upstream .deb in unprivileged mode: setuid-only flaws are mitigated', async () => {
  const tree = copyFixture('debian12');
  const status = path.join(tree, 'var/lib/dpkg/status');
  fs.appendFileSync(
    status,
    '\nPackage: apptainer\nStatus: install ok installed\nPriority: optional\nSection: admin\nArchitecture: amd64\nVersion: 1.1.3\nDescription: container platform\n',
  );
  fs.mkdirSync(path.join(tree, 'usr/bin'), { recursive: true });
  fs.writeFileSync(path.join(tree, 'usr/bin/apptainer'), '');
  const { report } = await runCheck({ root: tree, dbDir: path.join(tree, 'no-store') });
  const appt = report.runtimes.find((r) => r.id === 'apptainer')!;
  assert.deepEqual([appt.version, appt.mode], ['1.1.3', 'unprivileged']);
  const vulns = report.vulnerabilities.filter((v) => v.target === 'apptainer');
  assert.deepEqual(vulns.map((v) => v.id).sort(), expectedIds('apptainer', '1.1.3'));
  const setuidOnly = vulns.filter((v) => v.preconditions.setuid_mode);
  assert.ok(setuidOnly.length > 0, 'the database has setuid-only Apptainer flaws');
  for (const v of setuidOnly) assert.equal(v.status, 'mitigated', `${v.id}: ${v.reason}`);
});
