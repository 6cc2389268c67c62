// The in-process gate's path guard: a path whose lookup reaches a network, FUSE or automount file system is refused
// before anything on that file system is touched; links are followed as the kernel follows them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  guardFromMountinfo,
  hangProne,
  makePathGuard,
  overlayLayers,
  type GuardOps,
} from '../../src/host/path-guard.js';
import { HostRoot } from '../../src/host/host-root.js';
import { parseMountinfo, type Mount } from '../../src/parse/mounts.js';
import { writeTree } from '../helpers/tree.js';

const mount = (mountpoint: string, fstype: string): Mount => ({
  device: 'x',
  mountpoint,
  fstype,
  options: ['rw'],
});

/** A file system of links only (everything else a directory), recording every path lstat was asked about. */
function fakeOps(links: Record<string, string>): GuardOps & { asked: string[] } {
  const asked: string[] = [];
  const stat = (link: boolean) => ({ isSymbolicLink: () => link }) as fs.Stats;
  return {
    asked,
    lstat: (p) => {
      asked.push(p);
      if (p.startsWith('/absent')) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return stat(p in links);
    },
    readlink: (p) => links[p]!,
  };
}

const TABLE = [
  mount('/', 'ext4'),
  mount('/home', 'nfs4'),
  mount('/cvmfs/sw.example.org', 'fuse.cvmfs2'),
  mount('/proc', 'proc'),
  mount('/scratch', 'lustre'),
  mount('/scratch/local', 'xfs'),
];

test('the file systems whose reads can wait on a server or a daemon are the hang-prone ones', () => {
  for (const t of [
    'nfs',
    'nfs4',
    'lustre',
    'gpfs',
    'autofs',
    'fuse',
    'fuse.cvmfs2',
    'fuse.squashfuse',
    'cifs',
  ])
    assert.ok(hangProne(t), t);
  for (const t of ['ext4', 'xfs', 'tmpfs', 'proc', 'sysfs', 'overlay', 'squashfs', 'devtmpfs', 'btrfs'])
    assert.ok(!hangProne(t), t);
});

test('with only local file systems the guard never refuses and never calls lstat', () => {
  const ops = fakeOps({});
  const guard = makePathGuard(
    [mount('/', 'ext4'), mount('/tmp', 'tmpfs'), mount('/proc/sys/fs/binfmt_misc', 'autofs')],
    ops,
  );
  for (const p of ['/usr/bin/apptainer', '/home/u/.bashrc', '/proc/self/mountinfo'])
    assert.equal(guard(p), null);
  assert.deepEqual(ops.asked, []);
});

test('a path on a hang-prone mount is refused before its mount point is touched', () => {
  const ops = fakeOps({});
  const guard = makePathGuard(TABLE, ops);
  assert.equal(guard('/home'), '/home (nfs4)');
  assert.equal(guard('/home/u/.config/x'), '/home/u/.config/x (on /home, nfs4)');
  assert.equal(
    guard('/cvmfs/sw.example.org/bin/apptainer'),
    '/cvmfs/sw.example.org/bin/apptainer (on /cvmfs/sw.example.org, fuse.cvmfs2)',
  );
  assert.ok(
    !ops.asked.some((p) => p.startsWith('/home') || p.startsWith('/cvmfs/sw.example.org')),
    ops.asked.join(),
  );
  // A local mount below a network one is reached through the network one's directory, whose lookup may wait.
  assert.equal(guard('/scratch/local/x'), '/scratch/local/x (on /scratch, lustre)');
  assert.equal(guard('/scratch/other'), '/scratch/other (on /scratch, lustre)');
  assert.equal(guard('/usr/../home/x'), '/home/x (on /home, nfs4)');
});

test('links are followed, absolute and relative, and one that leads onto a hang-prone mount is refused', () => {
  const ops = fakeOps({
    '/usr/local/bin/enroot': '/cvmfs/sw.example.org/enroot/bin/enroot',
    '/opt/apps': '../home/apps',
    '/usr/bin/podman': 'podman-real',
    '/etc/alternatives/x': '/usr/bin/podman',
  });
  const guard = makePathGuard(TABLE, ops);
  assert.equal(
    guard('/usr/local/bin/enroot'),
    '/usr/local/bin/enroot, which leads to /cvmfs/sw.example.org (fuse.cvmfs2)',
  );
  assert.equal(guard('/opt/apps/bin/x'), '/opt/apps/bin/x, which leads to /home (nfs4)');
  assert.equal(guard('/etc/alternatives/x'), null, 'a chain of local links');
  assert.ok(ops.asked.includes('/usr/bin/podman-real'));
});

test('a link loop and an absent path end the lookup without a refusal or a hang; /proc only through its links', () => {
  const ops = fakeOps({
    '/loop/a': '/loop/b',
    '/loop/b': '/loop/a',
    '/etc/x': '/proc/self/root/home/x',
  });
  const guard = makePathGuard(TABLE, ops);
  assert.equal(guard('/loop/a/x'), null);
  assert.equal(guard('/absent/x'), null);
  assert.equal(guard('/proc/self/mountinfo'), null, 'below /proc nothing waits on a server');
  assert.equal(guard('/proc/sys/kernel/osrelease'), null);
  // The kernel follows these to wherever the process is: /proc/self/root/home/x is /home/x.
  for (const p of ['/proc/self/root/home/x', '/proc/1/cwd/x', '/proc/12/task/12/root/x', '/proc/self/fd/3'])
    assert.match(guard(p)!, /a \/proc link to anywhere\)$/, p);
  assert.match(guard('/etc/x')!, /^\/etc\/x \(through \/proc\/self\/root, a \/proc link to anywhere\)$/);
  assert.ok(!ops.asked.some((p) => p.startsWith('/proc/')));
  // Each link costs two lstats here (/loop, then the link): bounded by the kernel's 40 links.
  const loops = ops.asked.filter((p) => p.startsWith('/loop')).length;
  assert.ok(loops > 40 && loops <= 2 * 41 + 2, String(loops));
});

test('HostRoot.live with a guard: a refused path is not read, reads as not read, and refused() names it', () => {
  const dir = writeTree({ 'net/file': 'secret', local: 'fine' });
  fs.symlinkSync(path.join(dir, 'net/file'), path.join(dir, 'link'));
  // The real /proc/self/mountinfo, with the scratch directory's net/ declared an NFS mount.
  const mounts = [
    ...parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8')),
    mount(path.join(dir, 'net'), 'nfs'),
  ];
  const root = HostRoot.live({ guard: makePathGuard(mounts) });
  const local = root.readText(path.join(dir, 'local'));
  assert.ok(local.ok && local.text === 'fine');
  assert.equal(root.refused(), null);
  const linked = root.readText(path.join(dir, 'link'));
  assert.ok(!linked.ok);
  assert.match(linked.reason, /^not read in this process: .*link, which leads to .*\/net \(nfs\)$/);
  for (const r of [root.stat(path.join(dir, 'net/file')), root.list(path.join(dir, 'net'))]) assert.ok(!r.ok);
  assert.match(root.refused()!, /link, which leads to/, 'the first refusal is the one named');
  // Without a guard the same host reads it.
  const plain = HostRoot.live().readText(path.join(dir, 'link'));
  assert.ok(plain.ok && plain.text === 'secret');
});

test('an NFS root refuses every path, the root itself included', () => {
  const ops = fakeOps({});
  const guard = makePathGuard([mount('/', 'nfs4'), mount('/usr', 'ext4'), mount('/proc', 'proc')], ops);
  assert.equal(guard('/'), '/ (nfs4)');
  assert.equal(
    guard('/usr/bin/apptainer'),
    '/usr/bin/apptainer (on /, nfs4)',
    '/usr is looked up on the NFS root',
  );
  assert.deepEqual(ops.asked, []);
});

const line = (id: number, mp: string, type: string, src: string, opts = 'rw') =>
  `${id} 1 0:${id} / ${mp} rw,relatime - ${type} ${src} ${opts}`;

test('an overlay with a layer on NFS and a file system on a loop file kept on NFS are hang-prone too', () => {
  const text = [
    line(1, '/', 'ext4', '/dev/sda1'),
    line(2, '/nfs', 'nfs4', 'srv:/export'),
    line(3, '/merged', 'overlay', 'overlay', 'rw,lowerdir=/nfs/lower:/usr,upperdir=/var/u,workdir=/var/w'),
    line(4, '/img', 'squashfs', '/dev/loop7', 'ro'),
    line(5, '/stacked', 'overlay', 'overlay', 'rw,lowerdir=/img/root,upperdir=/var/u2,workdir=/var/w2'),
    line(
      6,
      '/fine',
      'overlay',
      'overlay',
      'rw,lowerdir=/usr\\:odd:/usr/lib,upperdir=/var/u3,workdir=/var/w3',
    ),
    line(7, '/localimg', 'squashfs', '/dev/loop8', 'ro'),
  ].join('\n');
  const backing = (dev: string) =>
    ({ '/dev/loop7': '/nfs/images/app.sqfs', '/dev/loop8': '/var/img.sqfs' })[dev] ?? null;
  const g = guardFromMountinfo(text, backing, fakeOps({}));
  assert.ok(g.ok);
  if (!g.ok) return;
  assert.equal(
    g.guard('/merged/bin/x'),
    '/merged/bin/x (on /merged, overlay on a network or FUSE file system)',
  );
  assert.match(g.guard('/img/root/bin/sh')!, /on \/img, squashfs on a network or FUSE file system/);
  assert.match(
    g.guard('/stacked/etc/passwd')!,
    /on \/stacked, overlay on a network/,
    'an overlay on that loop mount',
  );
  assert.equal(g.guard('/fine/x'), null, 'layers on local file systems');
  assert.equal(g.guard('/localimg/x'), null, 'a loop file on a local file system');
  const m = parseMountinfo(
    line(6, '/fine', 'overlay', 'overlay', 'rw,lowerdir=/a\\:b:/c\\040d,upperdir=/u,workdir=/w'),
  )[0]!;
  assert.deepEqual(overlayLayers(m), ['/a:b', '/c d', '/u', '/w']);
});

test('a mount table too long to judge, or with lines that do not parse, gives no guard (the watchdog is used)', () => {
  const many = Array.from({ length: 100_001 }, (_, i) => line(i + 1, `/m${i}`, 'tmpfs', 'tmpfs')).join('\n');
  const long = guardFromMountinfo(many, () => null, fakeOps({}));
  assert.deepEqual(long, { ok: false, reason: 'the mount table has 100001 entries (more than 100000)' });
  const odd = guardFromMountinfo(`${line(1, '/', 'ext4', '/dev/sda1')}\ngarbage`, () => null, fakeOps({}));
  assert.equal(odd.ok, false);
  assert.equal(guardFromMountinfo('', () => null, fakeOps({})).ok, false);
});
