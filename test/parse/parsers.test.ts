// Parsers and classifiers on real-world shapes: mountinfo escapes, kernel release naming, os-release quoting, dpkg stanzas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyKernel } from '../../src/version/classify-kernel.js';
import { parseDpkgStatus } from '../../src/parse/dpkg-status.js';
import { extractKernelConfig } from '../../src/parse/kernel-config.js';
import { parseKeyValueConfig } from '../../src/parse/key-value-config.js';
import { mountFor, parseMountinfo, parseMountsTable } from '../../src/parse/mounts.js';
import { parseOsRelease } from '../../src/parse/os-release.js';
import { parseSysctlConf, type SysctlSetting } from '../../src/parse/sysctl-conf.js';
import { compareLooseVersion } from '../../src/version/compare-loose.js';

test('kernel releases are told apart by vendor naming (mainline ranges never judge a distribution kernel)', () => {
  const cases: [string, string, string][] = [
    ['3.10.0-1160.el7.x86_64', '', 'rhel'],
    ['4.18.0-348.20.1.el8_5.x86_64', '', 'rhel'],
    ['5.14.0-427.35.1.el9_4.x86_64', '', 'rhel'],
    ['5.15.0-91-generic', 'Linux version 5.15.0-91-generic (buildd@lcy02-amd64-045) ... Ubuntu', 'ubuntu'],
    ['6.8.0-41-generic', '', 'ubuntu'],
    [
      '6.1.0-13-amd64',
      'Linux version 6.1.0-13-amd64 (debian-kernel@lists.debian.org) ... Debian 6.1.55-1',
      'debian',
    ],
    ['4.19.0-21-amd64', '', 'debian'],
    ['3.0.101-0.47.52-default', '', 'suse'],
    ['5.14.21-150500.55.39-default', '', 'suse'],
    ['6.5.6-300.fc39.x86_64', '', 'fedora'],
    ['6.18.44-fc-v857', 'Linux version 6.18.44-fc-v857 (builder@sandboxing)', 'mainline'],
    ['6.6.8', '', 'mainline'],
  ];
  for (const [release, banner, family] of cases)
    assert.equal(classifyKernel(release, banner).family, family, release);
});

test('mountinfo: octal escapes, super options merged, the deepest mount holds a path', () => {
  const text = [
    '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
    '30 22 0:25 / /home rw,nosuid,nodev shared:5 - nfs4 nfs01:/home rw,vers=4.2',
    '31 22 0:26 / /scratch\\040space rw,relatime - lustre 10.0.0.1@o2ib:/fs rw,flock',
  ].join('\n');
  const m = parseMountinfo(text);
  assert.equal(m.length, 3);
  assert.equal(m[2]!.mountpoint, '/scratch space');
  assert.ok(m[1]!.options.includes('nosuid') && m[1]!.options.includes('vers=4.2'));
  assert.equal(mountFor(m, '/home/alice/x')!.mountpoint, '/home');
  assert.equal(mountFor(m, '/homework')!.mountpoint, '/');
  assert.equal(parseMountsTable('tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n# comment\nbad line\n').length, 1);
});

test('os-release values may be quoted and escaped', () => {
  const kv = parseOsRelease(
    'NAME="Rocky Linux"\nVERSION_ID="9.4"\nID=rocky\nID_LIKE="rhel centos fedora"\nPRETTY_NAME=\'Rocky \\"Blue Onyx\\"\'\n',
  );
  assert.deepEqual([kv.ID, kv.VERSION_ID, kv.ID_LIKE], ['rocky', '9.4', 'rhel centos fedora']);
});

test('dpkg status: only installed stanzas of wanted packages count', () => {
  const text =
    'Package: podman\nStatus: install ok installed\nSource: libpod (4.3.1+ds1-8+deb12u1)\nVersion: 4.3.1+ds1-8+deb12u1\n\nPackage: crun\nStatus: deinstall ok config-files\nVersion: 1.8.1-1\n\nPackage: bash\nStatus: install ok installed\nVersion: 5.2.15-2\n';
  assert.deepEqual(
    [...parseDpkgStatus(text, (n) => ['podman', 'crun'].includes(n))],
    [['podman', { version: '4.3.1+ds1-8+deb12u1', source: 'libpod' }]],
  );
});

test('kernel config: y, m, strings and "is not set"', () => {
  const text =
    'CONFIG_USER_NS=y\nCONFIG_OVERLAY_FS=m\nCONFIG_LSM="landlock,yama"\n# CONFIG_SECURITY_YAMA is not set\n# comment\n';
  const c = extractKernelConfig(text, [
    'CONFIG_USER_NS',
    'CONFIG_OVERLAY_FS',
    'CONFIG_LSM',
    'CONFIG_SECURITY_YAMA',
    'CONFIG_ABSENT',
  ])!;
  assert.deepEqual(
    [
      c.get('CONFIG_USER_NS'),
      c.get('CONFIG_OVERLAY_FS'),
      c.get('CONFIG_LSM'),
      c.get('CONFIG_SECURITY_YAMA'),
      c.has('CONFIG_ABSENT'),
    ],
    ['y', 'm', 'landlock,yama', 'n', false],
  );
  assert.equal(
    extractKernelConfig('garbage\n\u0000binary', ['CONFIG_USER_NS']),
    null,
    'text that is no kernel config',
  );
});

test('runtime configs: repeatable keys, comments, garbage counted not thrown', () => {
  const p = parseKeyValueConfig(
    '# comment\nallow setuid = no\nbind path = /etc/localtime\nbind path = /etc/hosts\n\u0000\u0001junk\nmount hostfs = no # trailing\n',
    'equals',
  );
  assert.deepEqual(p.values.get('allow setuid'), ['no']);
  assert.deepEqual(p.values.get('bind path'), ['/etc/localtime', '/etc/hosts']);
  assert.deepEqual(p.values.get('mount hostfs'), ['no']);
  assert.equal(p.badLines, 1);
  const e = parseKeyValueConfig(
    'ENROOT_ALLOW_SUPERUSER yes\nENROOT_SQUASH_OPTIONS="-comp lzo -noD"\n',
    'enroot',
  );
  assert.deepEqual(e.values.get('enroot_squash_options'), ['-comp lzo -noD']);
});

test('sysctl.d: slash and dot keys are the same; later files win', () => {
  const m = new Map<string, SysctlSetting>();
  parseSysctlConf('user/max_user_namespaces = 0\n', '/usr/lib/sysctl.d/10.conf', m);
  parseSysctlConf('; site\nuser.max_user_namespaces=15000\n', '/etc/sysctl.d/90.conf', m);
  assert.equal(m.get('user.max_user_namespaces')?.value, '15000');
});

test('loose version order picks the newest installed kernel', () => {
  const releases = ['3.10.0-957.el7.x86_64', '3.10.0-1160.el7.x86_64', '3.10.0-1062.el7.x86_64'];
  assert.equal([...releases].sort(compareLooseVersion).pop(), '3.10.0-1160.el7.x86_64');
});

test('dpkg status: a hostile file of 80,000 "Package:" lines without blank lines is read in linear time', () => {
  // issue 13: the old reader searched for the end of the stanza from every match, 29 s for this file.
  const lines = Array.from({ length: 80_000 }, () => 'Package: podman').join('\n');
  const started = Date.now();
  const out = parseDpkgStatus(
    `${lines}\nStatus: install ok installed\nVersion: 4.3.1\n`,
    (n) => n === 'podman',
  );
  const ms = Date.now() - started;
  assert.ok(ms < 2000, `took ${ms} ms`);
  assert.deepEqual([...out], [['podman', { version: '4.3.1', source: 'podman' }]], 'one stanza, read once');
  // Many real stanzas, each wanted: the matches are capped, the file still read once.
  const many = Array.from(
    { length: 20_000 },
    (_, i) => `Package: linux-image-${i}\nStatus: install ok installed\nVersion: 1-${i}\n`,
  ).join('\n');
  const m = parseDpkgStatus(many, (n) => n.startsWith('linux-image-'));
  assert.equal(m.size, 4096);
});

test('dpkg status: Source with a version (signed kernels, binNMUs) gives the source name and its version', () => {
  const text =
    'Package: linux-image-6.1.0-57-amd64\nStatus: install ok installed\nSource: linux-signed-amd64 (6.1.192+3)\nVersion: 6.1.192-3\n\nPackage: podman\nStatus: install ok installed\nSource: libpod (4.3.1+ds1-8+deb12u1)\nVersion: 4.3.1+ds1-8+deb12u1+b3\n';
  assert.deepEqual(
    [...parseDpkgStatus(text, () => true)],
    [
      [
        'linux-image-6.1.0-57-amd64',
        { version: '6.1.192-3', source: 'linux-signed-amd64', sourceVersion: '6.1.192+3' },
      ],
      [
        'podman',
        { version: '4.3.1+ds1-8+deb12u1+b3', source: 'libpod', sourceVersion: '4.3.1+ds1-8+deb12u1' },
      ],
    ],
  );
});
