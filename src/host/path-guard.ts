// Which live paths the gate may read in its own process: none whose lookup reaches a network, FUSE or automount
// file system. There a dead server blocks the reading thread in the kernel, and no timer of that process fires; the
// gate then runs the check in a child under its watchdog instead (issue 16: one Node start where it is safe).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mountFor, parseMountinfo, SHARED_FS_TYPES, type Mount } from '../parse/mounts.js';

/**
 * File systems whose operations wait on another machine or on a user-space daemon: the shared file systems the
 * mount rules judge (NFS, SMB, Lustre, GPFS/Spectrum Scale, BeeGFS, CephFS, PanFS, WekaFS), and besides them
 * OrangeFS, cluster file systems that wait on a lock manager (GFS2, OCFS2), AFS, 9p, automount points (the lookup
 * itself mounts), and every FUSE file system (CVMFS, sshfs, squashfuse), whose daemon may have died.
 */
const HANG_PRONE = new Set([
  ...SHARED_FS_TYPES,
  'smbfs',
  'orangefs',
  'pvfs2',
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

/** A /proc link the kernel follows to another place (proc(5)), with something looked up through or at it. */
const MAGIC = /^\/proc\/[^/]+\/(?:task\/[^/]+\/)?(?:root|cwd|exe|fd\/[^/]+|map_files\/[^/]+)(?=\/|$)/;

/** Links followed before a lookup is given up as the kernel gives it up (ELOOP, path_resolution(7)). */
const MAX_LINKS = 40;

/**
 * A guard over this mount table. A path is resolved as the kernel would, one component at a time, and each
 * component's mount is looked up before the component is touched: so a link that leads onto NFS (/usr/local/bin/x
 * -> /cvmfs/...) is refused without a single call reaching the NFS server. Every lstat it makes is on a local file
 * system. Below /proc and /sys nothing waits on a server, so lookups stop there.
 */
export function makePathGuard(
  mounts: readonly Mount[],
  ops: GuardOps = LIVE_OPS,
  backedOnHangProne: ReadonlySet<Mount> = new Set(),
): PathGuard {
  const risky = (m: Mount) => hangProne(m.fstype) || backedOnHangProne.has(m);
  const kind = (m: Mount) =>
    hangProne(m.fstype) ? m.fstype : `${m.fstype} on a network or FUSE file system`;
  // Nothing to fear: a node with only local file systems costs no lstat at all. systemd's automount point for
  // binfmt_misc (/proc/sys/fs/binfmt_misc, autofs) does not count: lookups stop at /proc.
  const pseudo = (p: string) => p.startsWith('/proc/') || p.startsWith('/sys/');
  if (!mounts.some((m) => risky(m) && !pseudo(m.mountpoint))) return () => null;
  const all = [...mounts];
  const memo = new Map<string, string | null>();
  const judge = (hostPath: string): string | null => {
    const top = mountFor(all, '/');
    if (hostPath === '/' && top && risky(top)) return `/ (${kind(top)})`;
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
      // The name is looked up in its directory's file system, then the mount over it, if any, is entered: both
      // must be local (an NFS root holds every mount point below it).
      const inDir = mountFor(all, cur || '/');
      const m = inDir && risky(inDir) ? inDir : mountFor(all, next);
      if (m && risky(m)) {
        if (links > 0) return `${hostPath}, which leads to ${m.mountpoint} (${kind(m)})`;
        return hostPath === m.mountpoint
          ? `${hostPath} (${kind(m)})`
          : `${hostPath} (on ${m.mountpoint}, ${kind(m)})`;
      }
      if (next === '/sys') return null;
      if (next === '/proc') {
        // Below /proc nothing waits on a server, except through the links the kernel follows to wherever a
        // process is (root, cwd, exe, its open files): /proc/self/root/nfs/x is /nfs/x.
        const rest = `/proc/${parts.join('/')}`;
        const magic = MAGIC.exec(rest);
        return magic ? `${hostPath} (through ${magic[0]}, a /proc link to anywhere)` : null;
      }
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

/** Octal escapes of mountinfo fields and of overlay's options (seq_escape): "\\040" is a space. */
const unescapeOctal = (s: string) =>
  s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The directories an overlay mount is made of: its lower layers (colon-separated), its upper and work directories. */
export function overlayLayers(m: Mount): string[] {
  if (m.fstype !== 'overlay') return [];
  const out: string[] = [];
  for (const o of m.options) {
    const eq = o.indexOf('=');
    const k = eq < 0 ? o : o.slice(0, eq);
    const v = eq < 0 ? '' : o.slice(eq + 1);
    if (k === 'lowerdir') out.push(...v.split(/(?<!\\):/).map((p) => unescapeOctal(p.replace(/\\:/g, ':'))));
    else if (k === 'upperdir' || k === 'workdir') out.push(unescapeOctal(v));
  }
  return out.filter((p) => p.startsWith('/'));
}

/**
 * Mounts of a local type whose data lies on a hang-prone file system all the same: an overlay with a layer there,
 * a file system on a loop device whose backing file is there (a squashfs image on NFS). Stacked ones too (an
 * overlay on such a loop mount): the set grows until it stops changing. `backingFile` names a loop device's file.
 */
export function backedOnHangProne(
  mounts: readonly Mount[],
  backingFile: (loopDevice: string) => string | null,
): Set<Mount> {
  const all = [...mounts];
  const out = new Set<Mount>();
  const onRisky = (p: string) => {
    const m = mountFor(all, p);
    return m !== undefined && (hangProne(m.fstype) || out.has(m));
  };
  const sources = new Map<Mount, string[]>(
    all.map((m) => {
      const loop = /^\/dev\/loop\d+$/.test(m.device) ? backingFile(m.device) : null;
      return [m, [...overlayLayers(m), ...(loop ? [loop] : [])]];
    }),
  );
  for (let changed = true, rounds = 0; changed && rounds < 10; rounds++) {
    changed = false;
    for (const [m, paths] of sources)
      if (!out.has(m) && !hangProne(m.fstype) && paths.some(onRisky)) {
        out.add(m);
        changed = true;
      }
  }
  return out;
}

/** More mounts than this and the guard gives up (the gate uses its watchdog): it never judges a cut table. */
const MAX_MOUNTS = 100_000;

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
  return guardFromMountinfo(text, (dev) => {
    try {
      // sysfs: the kernel's own answer, nothing to wait on.
      return (
        fs.readFileSync(`/sys/block/${dev.slice('/dev/'.length)}/loop/backing_file`, 'utf8').trim() || null
      );
    } catch {
      return null;
    }
  });
}

/** A guard over a mountinfo(5) text, or why there is none: a table cut short or unparsed is never judged. */
export function guardFromMountinfo(
  text: string,
  backingFile: (loopDevice: string) => string | null,
  ops: GuardOps = LIVE_OPS,
): { ok: true; guard: PathGuard } | { ok: false; reason: string } {
  const lines = text.split('\n').filter((l) => l.length > 0).length;
  if (lines > MAX_MOUNTS)
    return { ok: false, reason: `the mount table has ${lines} entries (more than ${MAX_MOUNTS})` };
  const mounts = parseMountinfo(text, MAX_MOUNTS);
  if (mounts.length === 0) return { ok: false, reason: '/proc/self/mountinfo lists no mount' };
  if (mounts.length < lines) return { ok: false, reason: '/proc/self/mountinfo has lines that do not parse' };
  return { ok: true, guard: makePathGuard(mounts, ops, backedOnHangProne(mounts, backingFile)) };
}
