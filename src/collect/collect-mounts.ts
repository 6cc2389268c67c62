// Collects the mount table and judges the file systems ordinary users can write to (nosuid, nodev).
import type { HostRoot } from '../host/host-root.js';
import { addFact, type Facts } from '../facts/fact.js';
import {
  mountFor,
  parseMountinfo,
  parseMountsTable,
  parseMountUnit,
  SHARED_FS_TYPES,
  type Mount,
} from '../parse/mounts.js';

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

/** The mount units systemd starts at boot: the .mount units enabled in /etc/systemd/system/*.wants. */
function enabledMountUnits(root: HostRoot): { mounts: Mount[]; where: string[] } {
  const mounts: Mount[] = [];
  const where: string[] = [];
  const etc = '/etc/systemd/system';
  const dirs = root.list(etc, 512);
  if (!dirs.ok) return { mounts, where };
  for (const d of dirs.names.filter((n) => n.endsWith('.wants'))) {
    const l = root.list(`${etc}/${d}`, 512);
    if (!l.ok) continue;
    for (const unit of l.names.filter((n) => n.endsWith('.mount'))) {
      for (const p of [`${etc}/${unit}`, `/usr/lib/systemd/system/${unit}`, `/lib/systemd/system/${unit}`]) {
        const r = root.readText(p, 65536);
        if (!r.ok || r.binary) continue;
        const m = parseMountUnit(r.text);
        if (m) {
          mounts.push(m);
          where.push(root.display(p));
        }
        break;
      }
    }
  }
  return { mounts, where };
}

/**
 * The live mount table (mountinfo, then /proc/self/mounts, then /proc/mounts) judges what is mounted now,
 * however it was mounted (fstab, systemd units, autofs, by hand). A node image without /proc has only what it
 * will mount at boot: fstab and the enabled systemd mount units.
 */
export function readMounts(root: HostRoot): { mounts: Mount[]; source: string; boot: boolean } | null {
  for (const [p, parse] of [
    ['/proc/self/mountinfo', parseMountinfo],
    ['/proc/self/mounts', parseMountsTable],
    ['/proc/mounts', parseMountsTable],
  ] as const) {
    const r = root.readText(p, 4 * 1024 * 1024);
    if (r.ok && !r.binary && !r.truncated) {
      const mounts = parse(r.text);
      if (mounts.length > 0) return { mounts, source: root.display(p), boot: false };
    }
  }
  const f = root.readText('/etc/fstab', 1024 * 1024);
  const fstab =
    f.ok && !f.binary && !f.truncated
      ? parseMountsTable(f.text).filter((m) => m.mountpoint.startsWith('/'))
      : null;
  const units = enabledMountUnits(root);
  if (!fstab && units.mounts.length === 0) return null;
  const sources = [...(fstab ? [root.display('/etc/fstab')] : []), ...units.where];
  return {
    mounts: [...(fstab ?? []), ...units.mounts],
    source: `${sources.join(', ')} (node image: mounts it will make at boot)`,
    boot: true,
  };
}

export function collectMountFacts(root: HostRoot, facts: Facts): Mount[] {
  const table = readMounts(root);
  if (!table) return [];
  const { mounts, source, boot } = table;
  addFact(facts, 'mounts.source', source, 'file', `mount table from ${source}`);
  const withoutNosuid: string[] = [];
  const withoutNodev: string[] = [];
  const unjudged: string[] = [];
  const seen = new Set<string>();
  const judge = (p: string, m: Mount, note = '') => {
    const key = `${p}|${m.mountpoint}`;
    if (seen.has(key)) return;
    seen.add(key);
    const where =
      p === m.mountpoint ? `${p} (${m.fstype}${note})` : `${p} (on ${m.mountpoint}, ${m.fstype}${note})`;
    if (!m.options.includes('nosuid')) withoutNosuid.push(where);
    if (!m.options.includes('nodev')) withoutNodev.push(where);
  };
  for (const p of USER_WRITABLE_PATHS) {
    const exact = mounts.find((m) => m.mountpoint === p);
    if (exact) judge(p, exact);
    else if (root.exists(p)) {
      // Not mounted on its own: it lives on the mount that covers it. In a node image that is only what fstab
      // and the enabled mount units say; autofs or a mount by hand could still put something there.
      const m = mountFor(mounts, p);
      if (m) judge(p, m, boot ? '; no boot-time mount of its own' : '');
      else unjudged.push(p);
    }
  }
  for (const m of mounts) if (SHARED_FS_TYPES.includes(m.fstype)) judge(m.mountpoint, m);
  // A path no table covers cannot pass: unknown, unless another path already fails.
  const nothingCovers = `: no mount covers ${unjudged.join(', ')}`;
  if (unjudged.length)
    for (const id of ['mounts.user_writable_without_nosuid', 'mounts.user_writable_without_nodev'])
      addFact(facts, `${id}.why`, unjudged, 'file', `${source}${nothingCovers}`);
  if (withoutNosuid.length || !unjudged.length)
    addFact(
      facts,
      'mounts.user_writable_without_nosuid',
      withoutNosuid,
      'file',
      `${source}: ${withoutNosuid.length ? withoutNosuid.join(', ') : 'every user-writable file system is nosuid'}`,
    );
  if (withoutNodev.length || !unjudged.length)
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
  if (!boot && (v1.length > 0 || v2.length > 0)) {
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
