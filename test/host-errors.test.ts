// The host-fact errors that real trees exposed (issue 12 "Why", issue 13 item 3), each end to end on a tree with
// the built-in database: every one of these failed before its fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCheck } from '../src/cli/check-command.js';
import { FIXTURES, writeTree } from './helpers/tree.js';

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
