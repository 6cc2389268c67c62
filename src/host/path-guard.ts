// Which live paths the gate may read in its own process: none whose lookup reaches a network, FUSE or automount
// file system. There a dead server blocks the reading thread in the kernel, and no timer of that process fires; the
// gate then runs the check in a child under its watchdog instead (issue 16: one Node start where it is safe).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mountFor, parseMountinfo, type Mount } from '../parse/mounts.js';

/**
 * File systems whose operations wait on another machine or on a user-space daemon: NFS, SMB, the parallel file
 * systems HPC sites mount (Lustre, GPFS/Spectrum Scale, BeeGFS, CephFS, PanFS, WekaFS, OrangeFS), cluster file
 * systems that wait on a lock manager (GFS2, OCFS2), AFS, 9p, automount points (the lookup itself mounts), and
 * every FUSE file system (CVMFS, sshfs, squashfuse), whose daemon may have died or stopped answering.
 */
const HANG_PRONE = new Set([
  'nfs',
  'nfs4',
  'cifs',
  'smb3',
  'smbfs',
  'lustre',
  'gpfs',
  'beegfs',
  'ceph',
  'cephfs',
  'panfs',
  'wekafs',
  'orangefs',
  'pvfs2',
  'glusterfs',
  'gfs2',
  'ocfs2',
  'afs',
  'openafs',
  '9p',
  'autofs',
  'davfs',
  'fuse',
  'fuseblk',
]);

export function hangProne(fstype: string): boolean {
  return HANG_PRONE.has(fstype) || fstype.startsWith('fuse.');
}

/**
 * Why a path may not be read in-process, or null when it may: "/opt/x (on /opt, nfs4)", and for a path whose
 * lookup a link leads there, "/usr/bin/x, which leads to /cvmfs/sw (fuse.cvmfs2)".
 */
export type PathGuard = (hostPath: string) => string | null;

export interface GuardOps {
  lstat: (p: string) => fs.Stats;
  readlink: (p: string) => string;
}

const LIVE_OPS: GuardOps = { lstat: (p) => fs.lstatSync(p), readlink: (p) => fs.readlinkSync(p) };

/** Links followed before a lookup is given up as the kernel gives it up (ELOOP, path_resolution(7)). */
const MAX_LINKS = 40;

/**
 * A guard over this mount table. A path is resolved as the kernel would, one component at a time, and each
 * component's mount is looked up before the component is touched: so a link that leads onto NFS (/usr/local/bin/x
 * -> /cvmfs/...) is refused without a single call reaching the NFS server. Every lstat it makes is on a local file
 * system. Below /proc and /sys nothing waits on a server, so lookups stop there.
 */
export function makePathGuard(mounts: readonly Mount[], ops: GuardOps = LIVE_OPS): PathGuard {
  // Nothing to fear: a node with only local file systems costs no lstat at all. systemd's automount point for
  // binfmt_misc (/proc/sys/fs/binfmt_misc, autofs) does not count: lookups stop at /proc.
  const pseudo = (p: string) => p.startsWith('/proc/') || p.startsWith('/sys/');
  if (!mounts.some((m) => hangProne(m.fstype) && !pseudo(m.mountpoint))) return () => null;
  const all = [...mounts];
  const memo = new Map<string, string | null>();
  const judge = (hostPath: string): string | null => {
    let parts = path.posix.normalize('/' + hostPath).split('/');
    let cur = '';
    let links = 0;
    while (parts.length > 0) {
      const c = parts.shift()!;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        cur = cur.slice(0, cur.lastIndexOf('/'));
        continue;
      }
      const next = `${cur}/${c}`;
      const m = mountFor(all, next);
      if (m && hangProne(m.fstype)) {
        if (links > 0) return `${hostPath}, which leads to ${m.mountpoint} (${m.fstype})`;
        return hostPath === m.mountpoint
          ? `${hostPath} (${m.fstype})`
          : `${hostPath} (on ${m.mountpoint}, ${m.fstype})`;
      }
      if (next === '/proc' || next === '/sys') return null;
      let st: fs.Stats;
      try {
        st = ops.lstat(next);
      } catch {
        // Absent or unreadable here, on a local file system: the real access fails as quickly.
        return null;
      }
      if (!st.isSymbolicLink()) {
        cur = next;
        continue;
      }
      if (++links > MAX_LINKS) return null;
      let target: string;
      try {
        target = ops.readlink(next);
      } catch {
        return null;
      }
      parts = [...target.split('/'), ...parts];
      if (target.startsWith('/')) cur = '';
    }
    return null;
  };
  return (hostPath) => {
    const key = path.posix.normalize('/' + hostPath);
    if (!memo.has(key)) memo.set(key, judge(key));
    return memo.get(key)!;
  };
}

/** The guard for this host's own mount table (/proc/self/mountinfo), or why there is none. */
export function livePathGuard(): { ok: true; guard: PathGuard } | { ok: false; reason: string } {
  let text: string;
  try {
    text = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch (e) {
    return {
      ok: false,
      reason: `cannot read /proc/self/mountinfo: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
    };
  }
  const mounts = parseMountinfo(text);
  if (mounts.length === 0) return { ok: false, reason: '/proc/self/mountinfo lists no mount' };
  return { ok: true, guard: makePathGuard(mounts) };
}
