// The bubblewrap command line for one launch (pure): what is shared with the host, what is cut, what is read-only.
import type { BindSpec, RunSpec } from './run-spec.js';

export interface TopEntry {
  name: string;
  kind: 'dir' | 'file' | 'symlink';
  target?: string;
}

export interface Caller {
  uid: number;
  gid: number;
  home: string;
  cwd: string;
}

export interface LaunchPlan {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

/** Mounted by the launch itself, never taken from the image. */
const OWN = new Set(['proc', 'dev', 'sys', 'tmp']);
/** Host-specific loader settings that would break the image's own libraries (Apptainer does not pass them either). */
const DROP_ENV = new Set(['LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'BASH_ENV', 'ENV']);
const STANDARD_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

const under = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/** Reads the image (injected, so the plan stays testable without an image on disk). */
export interface ImageView {
  list(rel: string): TopEntry[];
  exists(rel: string): boolean;
}

/**
 * The image's entries under REL, read-only. A directory that must hold a bind target the image lacks is not bound
 * whole (it is read-only and the target could not be created in it): its entries are bound one by one instead.
 */
function mountImage(view: ImageView, rootfs: string, rel: string, missing: string[], a: string[]): void {
  for (const e of view.list(rel)) {
    const p = `${rel}/${e.name}`;
    if (rel === '' && OWN.has(e.name)) continue;
    if (e.kind === 'symlink') a.push('--symlink', e.target ?? '', p);
    else if (e.kind === 'dir' && missing.some((m) => m.startsWith(`${p}/`)))
      mountImage(view, rootfs, p, missing, a);
    else a.push('--ro-bind', `${rootfs}${p}`, p);
  }
}

export function buildBwrapArgv(
  spec: RunSpec,
  rootfs: string,
  view: ImageView,
  caller: Caller,
  hostEnv: NodeJS.ProcessEnv,
  extra: {
    binds: BindSpec[];
    devices: { src: string; dst: string }[];
    files: { src: string; dst: string }[];
    libDir: string | null;
  },
): LaunchPlan {
  const a: string[] = ['--unshare-user'];
  // The caller keeps their own ids inside (no root to gain); --fakeroot maps them to 0, which owns nothing outside.
  a.push('--uid', String(spec.fakeroot ? 0 : caller.uid), '--gid', String(spec.fakeroot ? 0 : caller.gid));
  a.push('--unshare-pid', '--die-with-parent', '--cap-drop', 'ALL');
  if (spec.net === 'none') a.push('--unshare-net');
  // The root is a tmpfs holding the image's top-level entries read-only, so bind targets that the image lacks
  // (/scratch, /project) can be created; it is remounted read-only once everything is in place.
  a.push('--tmpfs', '/');
  const binds: BindSpec[] = [];
  if (spec.home && caller.home !== '/') binds.push({ src: caller.home, dst: caller.home, readOnly: false });
  binds.push(...spec.binds, ...extra.binds);
  const missing = [...binds.map((b) => b.dst), ...extra.files.map((f) => f.dst)].filter(
    (d) => !view.exists(d),
  );
  mountImage(view, rootfs, '', missing, a);
  a.push('--proc', '/proc', '--dev', '/dev');
  // Host /sys (hwloc and MPI read the topology), /tmp and /dev/shm (ranks of one job on one node meet there).
  a.push('--ro-bind', '/sys', '/sys', '--bind', '/tmp', '/tmp', '--bind', '/dev/shm', '/dev/shm');
  for (const b of binds) a.push(b.readOnly ? '--ro-bind' : '--bind', b.src, b.dst);
  for (const f of extra.files) a.push('--ro-bind', f.src, f.dst);
  // Only --gpu asks for device nodes: everything else stays nodev.
  for (const d of extra.devices) a.push('--dev-bind', d.src, d.dst);
  a.push('--remount-ro', '/');

  const visible = ['/tmp', ...binds.map((b) => b.dst)];
  const cwd =
    spec.workdir ??
    (visible.some((d) => under(caller.cwd, d))
      ? caller.cwd
      : spec.home && caller.home !== '/'
        ? caller.home
        : '/');
  a.push('--chdir', cwd);

  const env: Record<string, string> = {};
  if (spec.cleanEnv) {
    for (const k of ['HOME', 'USER', 'LOGNAME', 'TERM', 'LANG', 'TZ'])
      if (hostEnv[k] !== undefined) env[k] = hostEnv[k]!;
  } else
    for (const [k, v] of Object.entries(hostEnv))
      if (v !== undefined && !DROP_ENV.has(k) && !k.startsWith('BASH_FUNC_')) env[k] = v;
  const path = [...(spec.cleanEnv ? [] : (hostEnv.PATH ?? '').split(':').filter(Boolean)), ...STANDARD_PATH];
  env.PATH = [...new Set(path)].join(':');
  if (extra.libDir) {
    env.LD_LIBRARY_PATH = extra.libDir;
    env.PATH = `${extra.libDir.replace(/\/lib$/, '/bin')}:${env.PATH}`;
  }
  env.CTRSAFE_CONTAINER = spec.image;
  for (const [k, v] of spec.env) env[k] = v;
  return { argv: [...a, '--', ...spec.command], env, cwd };
}
