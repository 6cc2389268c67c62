// Collects the mount table and judges the file systems ordinary users can write to (nosuid, nodev).
import type { HostRoot } from '../host/host-root.js';
import { addFact, type Facts } from '../facts/fact.js';
import { mountFor, parseMountinfo, parseMountsTable, type Mount } from '../parse/mounts.js';

/** Places users write to on HPC systems, and network/parallel file systems that are user-writable by design. */
export const USER_WRITABLE_PATHS = [
  '/home',
  '/tmp',
  '/var/tmp',
  '/dev/shm',
  '/scratch',
  '/work',
  '/projects',
  '/lustre',
  '/gpfs',
];
export const SHARED_FS_TYPES = [
  'nfs',
  'nfs4',
  'lustre',
  'gpfs',
  'beegfs',
  'cephfs',
  'ceph',
  'panfs',
  'wekafs',
  'fuse.sshfs',
  'glusterfs',
  'cifs',
  'smb3',
];
const VIRTUAL_FS = new Set([
  'proc',
  'sysfs',
  'cgroup',
  'cgroup2',
  'devpts',
  'securityfs',
  'debugfs',
  'tracefs',
  'pstore',
  'bpf',
  'mqueue',
  'hugetlbfs',
  'configfs',
  'fusectl',
  'binfmt_misc',
  'autofs',
  'rpc_pipefs',
  'nsfs',
  'efivarfs',
]);

export function readMounts(root: HostRoot): { mounts: Mount[]; source: string } | null {
  for (const [p, parse] of [
    ['/proc/self/mountinfo', parseMountinfo],
    ['/proc/mounts', parseMountsTable],
  ] as const) {
    const r = root.readText(p, 4 * 1024 * 1024);
    if (r.ok && !r.binary && !r.truncated) {
      const mounts = parse(r.text);
      if (mounts.length > 0) return { mounts, source: root.display(p) };
    }
  }
  const f = root.readText('/etc/fstab', 1024 * 1024);
  if (f.ok && !f.binary && !f.truncated) {
    const mounts = parseMountsTable(f.text).filter((m) => m.mountpoint.startsWith('/'));
    return { mounts, source: `${root.display('/etc/fstab')} (node image: mounts it will make at boot)` };
  }
  return null;
}

export function collectMountFacts(root: HostRoot, facts: Facts): Mount[] {
  const table = readMounts(root);
  if (!table) return [];
  const { mounts, source } = table;
  addFact(facts, 'mounts.source', source, 'file', `mount table from ${source}`);
  const withoutNosuid: string[] = [];
  const withoutNodev: string[] = [];
  const seen = new Set<string>();
  const judge = (p: string, m: Mount) => {
    const key = `${p}|${m.mountpoint}`;
    if (seen.has(key)) return;
    seen.add(key);
    const where = p === m.mountpoint ? `${p} (${m.fstype})` : `${p} (on ${m.mountpoint}, ${m.fstype})`;
    if (!m.options.includes('nosuid')) withoutNosuid.push(where);
    if (!m.options.includes('nodev')) withoutNodev.push(where);
  };
  const fromFstab = source.includes('fstab');
  for (const p of USER_WRITABLE_PATHS) {
    const exact = mounts.find((m) => m.mountpoint === p);
    if (exact) judge(p, exact);
    else if (!fromFstab && root.exists(p)) {
      const m = mountFor(mounts, p);
      if (m) judge(p, m);
    }
  }
  for (const m of mounts) if (SHARED_FS_TYPES.includes(m.fstype)) judge(m.mountpoint, m);
  addFact(
    facts,
    'mounts.user_writable_without_nosuid',
    withoutNosuid,
    'file',
    `${source}: ${withoutNosuid.length ? withoutNosuid.join(', ') : 'every user-writable file system is nosuid'}`,
  );
  addFact(
    facts,
    'mounts.user_writable_without_nodev',
    withoutNodev,
    'file',
    `${source}: ${withoutNodev.length ? withoutNodev.join(', ') : 'every user-writable file system is nodev'}`,
  );

  // cgroup layout (Documentation/admin-guide/cgroup-v2.rst; systemd's "hybrid" mounts cgroup2 at /sys/fs/cgroup/unified).
  const v2 = mounts.filter((m) => m.fstype === 'cgroup2');
  const v1 = mounts.filter((m) => m.fstype === 'cgroup');
  if (!fromFstab && (v1.length > 0 || v2.length > 0)) {
    const mode = v1.length === 0 ? 'v2' : v2.length === 0 ? 'v1' : 'hybrid';
    addFact(
      facts,
      'cgroup.mode',
      mode,
      'file',
      `${source}: ${v1.length} cgroup v1 and ${v2.length} cgroup2 mounts`,
    );
  }
  addFact(facts, 'mounts.count', mounts.filter((m) => !VIRTUAL_FS.has(m.fstype)).length, 'file', source);
  return mounts;
}
