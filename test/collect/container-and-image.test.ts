// ctrsafe inside a container does not report the container as the host; node images without /proc fall back to image sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { runCheck } from '../../src/cli/check-command.js';
import { rootIsMountPoint } from '../../src/collect/collect-container.js';
import { BIN, writeTree } from '../helpers/tree.js';
import { runMainJson } from '../helpers/run-main.js';

test("inside a user namespace (as in Charliecloud or rootless Podman) readiness is unknown, never the container's answer", () => {
  const r = spawnSync(
    'unshare',
    ['--user', '--map-root-user', process.execPath, BIN, 'check', '--format', 'json'],
    { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
  );
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as {
    host: { container: { inside: boolean; kind: string } };
    runtimes: { ready: string; reasons: string[] }[];
    findings: { id: string; status: string }[];
    features: { how: string }[];
  };
  assert.equal(rep.host.container.inside, true);
  assert.equal(rep.host.container.kind, 'user namespace');
  for (const rt of rep.runtimes) {
    assert.equal(rt.ready, 'unknown');
    assert.ok(rt.reasons.some((x) => /inside a container/.test(x)));
  }
  assert.equal(rep.findings.find((f) => f.id === 'CS-H006')!.status, 'fail');
});

test('runtime environment markers are recognised', async () => {
  const { report } = await runCheck({ env: { ...process.env, APPTAINER_CONTAINER: '/scratch/lolcow.sif' } });
  assert.equal(report.host.container.inside, true);
  assert.equal(report.host.container.kind, 'apptainer');
  const plain = await runMainJson(['check']);
  assert.equal((plain.json.host as { container: { inside: boolean } }).container.inside, false);
});

test('a Warewulf-style CentOS 7 node image without /proc is judged from image sources', async () => {
  const image = {
    'etc/os-release':
      'NAME="CentOS Linux"\nVERSION="7 (Core)"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\n',
    'lib/modules/3.10.0-1160.el7.x86_64/modules.dep': '',
    'lib/modules/3.10.0-1062.el7.x86_64/modules.dep': '',
    'boot/config-3.10.0-1160.el7.x86_64':
      'CONFIG_USER_NS=y\nCONFIG_SECCOMP_FILTER=y\nCONFIG_SQUASHFS=m\nCONFIG_BLK_DEV_LOOP=m\nCONFIG_OVERLAY_FS=m\n',
    'etc/default/grub': 'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="crashkernel=auto rhgb quiet"\n',
    'etc/fstab':
      'UUID=abc / xfs defaults 0 0\nnfs01:/home /home nfs rw,nodev 0 0\ntmpfs /dev/shm tmpfs nosuid,nodev 0 0\n',
  };
  // Without a sysctl.d setting the RHEL 7 default (0) applies: known only from the version.
  const { report } = await runCheck({ root: writeTree(image) });
  assert.equal(report.host.kernel.release, '3.10.0-1160.el7.x86_64', 'the newest kernel in lib/modules');
  const userns = report.features.find((f) => f.id === 'unprivileged_userns')!;
  assert.deepEqual([userns.state, userns.how], ['no', 'version'], userns.evidence);
  assert.match(userns.evidence, /RHEL\/CentOS 7 kernels default user\.max_user_namespaces to 0/);
  const fact = (id: string) => report.facts.find((f) => f.id === id);
  assert.match(String(fact('kernel.cmdline')?.value), /crashkernel=auto/);
  assert.deepEqual(fact('mounts.user_writable_without_nosuid')?.value, ['/home (nfs)']);

  // The same image with the site's sysctl.d file: the file beats the version.
  const { report: r2 } = await runCheck({
    root: writeTree({
      ...image,
      'etc/sysctl.d/90-userns.conf': '# for Charliecloud\nuser.max_user_namespaces = 15000\n',
    }),
  });
  const u2 = r2.features.find((f) => f.id === 'unprivileged_userns')!;
  assert.equal(u2.state, 'yes', u2.evidence);
  assert.equal(r2.facts.find((f) => f.id === 'sysctl.user.max_user_namespaces')?.value, 15000);
  assert.match(
    r2.facts.find((f) => f.id === 'sysctl.user.max_user_namespaces')!.evidence,
    /etc\/sysctl\.d\/90-userns\.conf/,
  );
});

test('a Debian 10 node image leaves unprivileged_userns_clone at its 0 default', async () => {
  const { report } = await runCheck({
    root: writeTree({
      'etc/os-release': 'ID=debian\nVERSION_ID="10"\n',
      'boot/vmlinuz-4.19.0-21-amd64': '',
      'boot/config-4.19.0-21-amd64': 'CONFIG_USER_NS=y\n',
    }),
  });
  const userns = report.features.find((f) => f.id === 'unprivileged_userns')!;
  assert.deepEqual([userns.state, userns.how], ['no', 'version'], userns.evidence);
});

test('a root that is not a mount point is a chroot, read from the mount table', () => {
  const line = (mp: string) =>
    `36 35 98:0 /mnt1 ${mp} rw,noatime master:1 - ext3 /dev/root rw,errors=continue`;
  assert.equal(rootIsMountPoint([line('/'), line('/proc')].join('\n')), true);
  // In a chroot into /srv/tree (a plain directory) only the mounts under it are listed, relative to it.
  assert.equal(rootIsMountPoint([line('/proc'), line('/dev')].join('\n')), false);
  assert.equal(rootIsMountPoint(''), null);
});
