// The host-fact errors that real trees exposed (issue 12 "Why", issue 13 item 3), each end to end on a tree with
// the built-in database: every one of these failed before its fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCheck } from '../../src/cli/check-command.js';
import { KERNEL_CORE_EL8_5, rpmDatabase } from '../helpers/rpmdb.js';
import { FIXTURES, REPO, writeTree } from '../helpers/tree.js';

const check = async (root: string) => (await runCheck({ root, dbDir: path.join(root, 'no-store') })).report;

function copyFixture(name: string): string {
  const dst = fs.mkdtempSync(path.join(os.tmpdir(), `ctrsafe-${name}-`));
  fs.cpSync(path.join(FIXTURES, name), dst, { recursive: true });
  return dst;
}

const all = (r: Awaited<ReturnType<typeof check>>) => [
  ...r.vulnerabilities.map((v) => ({ ...v, verdict: v.match as string })),
  ...r.resolved.map((v) => ({ ...v, verdict: v.status as string })),
];

test('Dirty COW on a RHEL 9 kernel (base 5.14, past the 4.9 fix) is fixed, not unknown', async () => {
  const r = await check(path.join(FIXTURES, 'rocky9'));
  const cow = all(r).find((v) => v.id === 'CVE-2016-5195')!;
  assert.equal(cow.verdict, 'fixed', cow.reason);
});

test('a Debian 12 kernel without a banner is read from dpkg as its package version, not 6.1.0', async () => {
  // Real strings: apt-cache show linux-image-6.1.0-57-amd64 (bookworm-security).
  const tree = writeTree({
    'etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n',
    'lib/modules/6.1.0-57-amd64/.keep': '',
    'var/lib/dpkg/status':
      'Package: linux-image-6.1.0-57-amd64\nStatus: install ok installed\nSource: linux-signed-amd64 (6.1.192+3)\nVersion: 6.1.192-3\n\nPackage: linux-image-amd64\nStatus: install ok installed\nSource: linux-signed-amd64 (6.1.192+3)\nVersion: 6.1.192-3\n',
  });
  const r = await check(tree);
  assert.equal(r.host.kernel.release, '6.1.0-57-amd64');
  const k = all(r).filter((v) => v.target === 'kernel');
  assert.ok(k.length > 10);
  for (const v of k) {
    assert.equal(v.installed_version, '6.1.192-3', `${v.id}: ${v.reason}`);
    assert.doesNotMatch(v.reason, /kernel package debian/);
  }
  const nft = k.find((v) => v.id === 'CVE-2024-1086')!;
  assert.equal(nft.verdict, 'fixed', `6.1.192 is past the 6.1.76 stable fix: ${nft.reason}`);
});

test("a Debian 11 banner without the kernel's own token never yields gcc's (Debian 10.2.1-6)", async () => {
  // The real bullseye banner (linux-image-5.10.0-32-amd64 5.10.223-1: the image's version string and its
  // config's CONFIG_CC_VERSION_TEXT), cut before its "Debian 5.10.223-1" token.
  const banner =
    'Linux version 5.10.0-32-amd64 (debian-kernel@lists.debian.org) (gcc-10 (Debian 10.2.1-6) 10.2.1 20210110, GNU ld (GNU Binutils for Debian) 2.35.2) #1 SMP';
  const tree = writeTree({
    'etc/os-release': 'ID=debian\nVERSION_ID="11"\n',
    'proc/sys/kernel/osrelease': '5.10.0-32-amd64\n',
    'proc/version': `${banner}\n`,
  });
  const r = await check(tree);
  for (const v of all(r).filter((x) => x.target === 'kernel')) {
    assert.notEqual(v.installed_version, '10.2.1-6', v.id);
    if (v.verdict === 'unknown') assert.match(v.reason, /package version: \/proc\/version does not name it/);
  }
  // With the whole banner, its own token.
  fs.writeFileSync(path.join(tree, 'proc/version'), `${banner} Debian 5.10.223-1 (2024-08-10)\n`);
  const full = await check(tree);
  assert.ok(
    all(full)
      .filter((v) => v.target === 'kernel')
      .every((v) => v.installed_version === '5.10.223-1'),
  );
});

test('a Debian 13 kernel (6.12.117+deb13-amd64) is a Debian kernel judged on its named stable release', async () => {
  const tree = writeTree({
    'etc/os-release': 'ID=debian\nVERSION_ID="13"\n',
    'proc/sys/kernel/osrelease': '6.12.117+deb13-amd64\n',
  });
  const r = await check(tree);
  assert.equal(r.host.kernel.family, 'debian');
  assert.equal(r.host.kernel.distro_kernel, true);
  const k = all(r).filter((v) => v.target === 'kernel');
  assert.ok(
    k.every((v) => v.verdict !== 'unknown'),
    k
      .filter((v) => v.verdict === 'unknown')
      .map((v) => v.reason)
      .join('\n'),
  );
});

test('Apptainer 1.1.0-1~jammy on Ubuntu 22.04 is judged on upstream ranges: Ubuntu does not package Apptainer', async () => {
  const tree = copyFixture('ubuntu2204');
  fs.appendFileSync(
    path.join(tree, 'var/lib/dpkg/status'),
    '\nPackage: apptainer\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.1.0-1~jammy\nDescription: container platform\n',
  );
  fs.writeFileSync(path.join(tree, 'usr/bin/apptainer'), '');
  const r = await check(tree);
  const v = all(r).find((x) => x.id === 'CVE-2023-30549' && x.target === 'apptainer')!;
  assert.deepEqual(
    [v.verdict, v.installed_version, v.fixed_version],
    ['affected', '1.1.0', '1.1.8'],
    v.reason,
  );
});

test('runc found only as a binary: its Go build information gives the version, so its advisories are decided', async () => {
  const tree = copyFixture('rocky9');
  fs.rmSync(path.join(tree, 'usr/bin/runc'));
  // A Go 1.18+ build information section as runc's Makefile links it (-X main.version), on a real ELF.
  const head = Buffer.alloc(32);
  head.write('\xff Go buildinf:', 0, 'latin1');
  head[14] = 8;
  head[15] = 2;
  const lp = (s: string) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s, 'latin1')]);
  const mod = `${'0'.repeat(16)}path\tgithub.com/opencontainers/runc\nbuild\t-ldflags="-X main.version=1.1.11"\n${'0'.repeat(16)}`;
  const info = path.join(tree, 'info');
  fs.writeFileSync(info, Buffer.concat([head, lp('go1.21.6'), lp(mod)]));
  fs.mkdirSync(path.join(tree, 'usr/local/bin'), { recursive: true });
  execFileSync('objcopy', [
    '--add-section',
    `.go.buildinfo=${info}`,
    '/bin/true',
    path.join(tree, 'usr/local/bin/runc'),
  ]);
  const r = await check(tree);
  const runc = all(r).filter((v) => v.target === 'runc');
  assert.ok(runc.length > 5);
  for (const v of runc) assert.doesNotMatch(v.reason, /installed version is not known/, v.id);
  assert.equal(
    runc.find((v) => v.id === 'CVE-2024-21626')!.verdict,
    'affected',
    'runc 1.1.11 predates the 1.1.12 fix',
  );
});

test('an RPM database that cannot be read is a report problem ("could not read"), never a silent empty list', async () => {
  const tree = copyFixture('rocky9');
  fs.mkdirSync(path.join(tree, 'var/lib/rpm'), { recursive: true });
  fs.writeFileSync(
    path.join(tree, 'var/lib/rpm/rpmdb.sqlite'),
    Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(8192, 0xff)]),
  );
  const r = await check(tree);
  assert.ok(
    r.problems.some((p) => /could not read the RPM database .*rpmdb\.sqlite/.test(p)),
    r.problems.join('\n'),
  );
});

const finding = (r: Awaited<ReturnType<typeof check>>, id: string) => r.findings.find((f) => f.id === id)!;

test('CS-H001/CS-H002 judge what is mounted, not what fstab names: /proc/self/mounts with an empty fstab', async () => {
  // A tree with only /proc/self/mounts (as `cat /proc/self/mounts` copies it): /tmp mounted by systemd, /home by autofs.
  const tree = writeTree({
    'etc/os-release': 'ID=rocky\nVERSION_ID="9.4"\n',
    'etc/fstab': '',
    'proc/self/mounts':
      '/dev/mapper/rl-root / xfs rw,relatime 0 0\ntmpfs /tmp tmpfs rw,relatime 0 0\nnfs01:/export/home/alice /home/alice nfs4 rw,relatime,vers=4.2 0 0\n',
    'tmp/.keep': '',
    'home/.keep': '',
  });
  const r = await check(tree);
  assert.equal(finding(r, 'CS-H001').status, 'fail', finding(r, 'CS-H001').evidence);
  assert.match(finding(r, 'CS-H001').evidence, /\/tmp \(tmpfs\)/);
  assert.match(finding(r, 'CS-H001').evidence, /\/home\/alice \(nfs4\)/);
  assert.equal(finding(r, 'CS-H002').status, 'fail');
});

test('CS-H001 in a node image: a path fstab does not name lives on the mount that covers it; nothing covering it is unknown', async () => {
  const image = (fstab: string, extra: Record<string, string> = {}) =>
    writeTree({
      'etc/os-release': 'ID=rocky\nVERSION_ID="9.4"\n',
      'etc/fstab': fstab,
      'home/.keep': '',
      'tmp/.keep': '',
      ...extra,
    });
  // fstab names only the root file system (no nosuid): /home and /tmp are on it.
  const onRoot = await check(image('/dev/mapper/rl-root / xfs defaults 0 0\n'));
  assert.equal(finding(onRoot, 'CS-H001').status, 'fail');
  assert.match(finding(onRoot, 'CS-H001').evidence, /\/home \(on \/, xfs; no boot-time mount of its own\)/);
  // An empty fstab covers nothing: unknown, and the reason says which paths.
  const empty = await check(image(''));
  assert.equal(finding(empty, 'CS-H001').status, 'unknown');
  assert.match(finding(empty, 'CS-H001').evidence, /no mount covers \/home, \/tmp/);
  // systemd's tmp.mount, enabled, mounts /tmp nosuid,nodev (the unit as systemd ships it on this machine).
  const unit = fs.existsSync('/usr/share/systemd/tmp.mount')
    ? fs.readFileSync('/usr/share/systemd/tmp.mount', 'utf8')
    : '[Mount]\nWhat=tmpfs\nWhere=/tmp\nType=tmpfs\nOptions=mode=1777,strictatime,nosuid,nodev,size=50%%,nr_inodes=1m\n';
  const withUnit = await check(
    image('/dev/mapper/rl-root / xfs defaults 0 0\n/dev/mapper/rl-home /home xfs nosuid,nodev 0 0\n', {
      'usr/lib/systemd/system/tmp.mount': unit,
      'etc/systemd/system/local-fs.target.wants/tmp.mount': unit,
    }),
  );
  assert.equal(finding(withUnit, 'CS-H001').status, 'pass', finding(withUnit, 'CS-H001').evidence);
  assert.match(withUnit.facts.find((f) => f.id === 'mounts.source')!.evidence, /tmp\.mount/);
});

test("Shifter: siteFs entries with :rec or :shared carry the host's mount flags in; optionalSshdAsRoot=1 before 18.03", async () => {
  const tree = copyFixture('shifter-cray');
  const conf = path.join(tree, 'etc/udiRoot.conf');
  const clean = await check(tree);
  assert.equal(finding(clean, 'CS-R016').status, 'pass', finding(clean, 'CS-R016').evidence);
  assert.equal(finding(clean, 'CS-R017').status, 'pass');
  const text = fs.readFileSync(conf, 'utf8');
  fs.writeFileSync(
    conf,
    text.replace(
      'siteFs=/home:/home;/scratch:/scratch',
      'siteFs=/home:/home;/scratch:/scratch:rec;/var/opt/cray:/var/opt/cray:shared',
    ) + 'module_gpu_siteFs=/opt/nvidia:/opt/nvidia:rec\noptionalSshdAsRoot=1\n',
  );
  const bad = await check(tree);
  const r016 = finding(bad, 'CS-R016');
  assert.equal(r016.status, 'fail');
  assert.match(r016.evidence, /\/scratch:\/scratch:rec/);
  assert.match(r016.evidence, /\/var\/opt\/cray:\/var\/opt\/cray:shared/);
  assert.match(r016.evidence, /module_gpu_sitefs: \/opt\/nvidia:\/opt\/nvidia:rec/);
  // Shifter 22.02.1 ignores optionalSshdAsRoot (dropped in 18.03.0); a 16.08 install honours it.
  assert.equal(finding(bad, 'CS-R017').status, 'pass');
  const m = JSON.parse(fs.readFileSync(path.join(tree, '.ctrsafe-snapshot.json'), 'utf8')) as {
    packages: Record<string, string>;
  };
  for (const k of ['shifter', 'shifter-runtime']) if (m.packages[k]) m.packages[k] = '16.08.3-1';
  fs.writeFileSync(path.join(tree, '.ctrsafe-snapshot.json'), JSON.stringify(m));
  assert.equal(finding(await check(tree), 'CS-R017').status, 'fail');
});

test('a package changelog on the host that names the CVE is evidence of the fix where no record exists, cited with its path', async () => {
  // An RPM kernel whose %changelog names CVE-2022-0185 in 4.18.0-348.12.2.el8_5 (the RHEL 8.5 fix, ALSA/RLSA-2022:0188).
  const tree = writeTree({
    'etc/os-release': 'ID="rocky"\nVERSION_ID="8.5"\n',
    'proc/sys/kernel/osrelease': '4.18.0-348.12.2.el8_5.x86_64\n',
  });
  rpmDatabase(path.join(tree, 'var/lib/rpm'), [KERNEL_CORE_EL8_5]);
  // The reviewed records without the distribution data: the shipped rows (RLSA-2022:0188, Debian's changelog
  // extract) would decide first.
  const withoutRows = async (root: string) =>
    (await runCheck({ root, advisoriesDir: path.join(REPO, 'advisories') })).report;
  const r = await withoutRows(tree);
  const v = all(r).find((x) => x.id === 'CVE-2022-0185')!;
  assert.equal(v.verdict, 'fixed', v.reason);
  assert.match(
    v.decided_by,
    /package changelog on this host: the %changelog of kernel-core 4\.18\.0-348\.12\.2\.el8_5 in .*rpmdb\.sqlite/,
  );
  // Debian: the real changelog.Debian.gz of this machine's podman (scripts/test.sh installs it) names CVE-2023-0778.
  const doc = '/usr/share/doc/podman/changelog.Debian.gz';
  if (!fs.existsSync(doc)) return;
  const deb = copyFixture('debian12');
  fs.mkdirSync(path.join(deb, 'usr/share/doc/podman'), { recursive: true });
  fs.copyFileSync(doc, path.join(deb, 'usr/share/doc/podman/changelog.Debian.gz'));
  const d = all(await withoutRows(deb)).find((x) => x.id === 'CVE-2023-0778' && x.target === 'podman')!;
  assert.equal(d.verdict, 'fixed', d.reason);
  assert.match(d.decided_by, /usr\/share\/doc\/podman\/changelog\.Debian\.gz/);
  // A damaged changelog.Debian.gz is no evidence, and upstream's changelog.gz does not stand in for it.
  fs.renameSync(
    path.join(deb, 'usr/share/doc/podman/changelog.Debian.gz'),
    path.join(deb, 'usr/share/doc/podman/changelog.gz'),
  );
  fs.writeFileSync(path.join(deb, 'usr/share/doc/podman/changelog.Debian.gz'), 'not gzip');
  const e = all(await withoutRows(deb)).find((x) => x.id === 'CVE-2023-0778' && x.target === 'podman')!;
  assert.doesNotMatch(e.decided_by ?? '', /changelog/, e.decided_by ?? '');
});

test('live: a runtime whose package gives its version is not run for it (podman, crun from Debian packages)', async () => {
  if (!fs.existsSync('/usr/bin/podman') || !fs.existsSync('/var/lib/dpkg/info/podman.list')) return;
  const { collected, report } = await runCheck({ dbDir: '/nonexistent/ctrsafe-db' });
  assert.ok(
    !Object.keys(collected.commands).some((k) => k.startsWith('/usr/bin/podman ')),
    Object.keys(collected.commands).join(', '),
  );
  assert.match(
    report.facts.find((f) => f.id === 'runtime.podman.version')!.evidence,
    /^package podman .* \(dpkg status/,
  );
});

test("live: every advisory of this machine's Debian-packaged podman and crun is decided (issue 12, Done when)", async (t) => {
  if (!fs.existsSync('/var/lib/dpkg/info/podman.list') || !fs.existsSync('/etc/debian_version'))
    return t.skip('podman is not a Debian package here');
  const { report } = await runCheck({ dbDir: '/nonexistent/ctrsafe-db' });
  const mine = all(report).filter((v) => v.target === 'podman' || v.target === 'crun');
  assert.ok(mine.length >= 10, `${mine.length} podman and crun verdicts`);
  const open = mine.filter((v) => v.verdict === 'unknown');
  assert.deepEqual(
    open.map((v) => `${v.id} ${v.target}: ${v.reason}`),
    [],
  );
});
