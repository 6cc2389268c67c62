// The live probes: each a tiny script in its own child process, run as an unprivileged user, changing nothing on the host.
import * as fs from 'node:fs';
import { firstLine, runChild, type ChildUser } from './run-child.js';
import { parseKeyValueLines, type ProbeResult } from './probe-result.js';

/** prctl(2) syscall numbers per architecture (linux/arch/<arch>/ syscall tables). */
const PRCTL_NR: Record<string, number> = {
  x64: 157,
  arm64: 167,
  riscv64: 167,
  ppc64: 171,
  s390x: 172,
  ia32: 172,
  arm: 172,
};

/*
 * Singularity >= 2.5's exact test (src/util/privilege.c, singularity_priv_check_nonewprivs):
 * prctl(PR_SET_NO_NEW_PRIVS=38, 1) must return 0 and prctl(PR_GET_NO_NEW_PRIVS=39) must return 1.
 * Then seccomp filter mode, as Chromium's sandbox probes it: with no_new_privs set,
 * prctl(PR_SET_SECCOMP=22, SECCOMP_MODE_FILTER=2, NULL) fails with EFAULT when filter mode
 * exists and EINVAL when it does not (prctl(2)); nothing is installed either way.
 * All of it happens in the child only: no_new_privs dies with that process.
 */
const NNP_PERL = `
my $nr = shift; $! = 0;
my $s = syscall($nr, 38, 1, 0, 0, 0); my $se = $! + 0; $! = 0;
my $g = syscall($nr, 39, 0, 0, 0, 0); my $ge = $! + 0; $! = 0;
my $m = syscall($nr, 21, 0, 0, 0, 0); my $me = $! + 0; $! = 0;
my $f = syscall($nr, 22, 2, 0, 0, 0); my $fe = $! + 0;
print "set=$s\\nset_errno=$se\\nget=$g\\nget_errno=$ge\\nseccomp_mode=$m\\nseccomp_mode_errno=$me\\nfilter=$f\\nfilter_errno=$fe\\n";
`;

const NNP_PYTHON = `
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
def call(*a):
    ctypes.set_errno(0); r = libc.prctl(*[ctypes.c_ulong(x) for x in a]); return r, ctypes.get_errno()
s, se = call(38, 1, 0, 0, 0); g, ge = call(39, 0, 0, 0, 0); m, me = call(21, 0, 0, 0, 0); f, fe = call(22, 2, 0, 0, 0)
print("set=%d\\nset_errno=%d\\nget=%d\\nget_errno=%d\\nseccomp_mode=%d\\nseccomp_mode_errno=%d\\nfilter=%d\\nfilter_errno=%d" % (s, se, g, ge, m, me, f, fe))
`;

/*
 * Runs inside "unshare --user --map-root-user --mount": the new mount namespace is private
 * (util-linux >= 2.27 sets propagation private; in a less privileged user namespace the kernel
 * turns shared mounts into slaves anyway), so the tmpfs and overlay mounts never reach the host.
 */
const USERNS_SH = `
echo "uid_map=$(tr -s ' ' < /proc/self/uid_map | tr '\\n' ';')"
echo "gid_map=$(tr -s ' ' < /proc/self/gid_map | tr '\\n' ';')"
echo "setgroups=$(cat /proc/self/setgroups 2>/dev/null || echo absent)"
if err=$(mount -t tmpfs -o size=1m,mode=0700 ctrsafe-probe /tmp 2>&1); then
  echo tmpfs=ok
  mkdir /tmp/l /tmp/u /tmp/w /tmp/m && echo x > /tmp/l/f
  if err=$(mount -t overlay overlay -o lowerdir=/tmp/l,upperdir=/tmp/u,workdir=/tmp/w /tmp/m 2>&1); then
    if [ -f /tmp/m/f ]; then echo overlay=ok; else echo overlay=fail; echo "overlay_error=mounted but lower file not visible"; fi
  else echo overlay=fail; echo "overlay_error=$err" | head -n 1; fi
else echo tmpfs=fail; echo "tmpfs_error=$err" | head -n 1; fi
`;

/* Opening /dev/fuse read-write is all fusermount-less FUSE (squashfuse in a user namespace) needs first. */
const FUSE_SH = `
if [ ! -e /dev/fuse ]; then echo fuse=absent; exit 0; fi
if err=$( (exec 3<>/dev/fuse) 2>&1 ); then echo fuse=ok; else echo fuse=fail; echo "fuse_error=$err" | head -n 1; fi
`;

export interface ProbeOptions {
  user: ChildUser;
  timeoutMs: number;
}

function which(cmd: string): string | null {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin']) {
    const p = `${dir}/${cmd}`;
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* try the next directory */
    }
  }
  return null;
}

function notRun(method: string, user: string, error: string): ProbeResult {
  return { ran: false, method, user, values: {}, exitCode: null, stderr: '', error };
}

async function runScript(method: string, argv: string[], opts: ProbeOptions): Promise<ProbeResult> {
  const r = await runChild(argv, { timeoutMs: opts.timeoutMs, user: opts.user });
  const result: ProbeResult = {
    ran: r.started && !r.timedOut,
    method,
    user: opts.user.name,
    values: parseKeyValueLines(r.stdout),
    exitCode: r.exitCode,
    stderr: firstLine(r.stderr),
  };
  if (r.error) result.error = r.error;
  return result;
}

export async function probeNoNewPrivs(opts: ProbeOptions): Promise<ProbeResult> {
  const nr = PRCTL_NR[process.arch];
  const perl = which('perl');
  if (perl && nr !== undefined)
    return runScript(`perl syscall(${nr}) prctl`, [perl, '-e', NNP_PERL, String(nr)], opts);
  const py = which('python3');
  if (py) return runScript('python3 ctypes prctl', [py, '-c', NNP_PYTHON], opts);
  return notRun('prctl', opts.user.name, 'neither perl nor python3 is installed to call prctl(2)');
}

export async function probeUserNamespace(opts: ProbeOptions): Promise<ProbeResult> {
  const unshare = which('unshare');
  if (!unshare) return notRun('unshare', opts.user.name, 'util-linux unshare is not installed');
  const method = 'unshare --user --map-root-user --mount';
  const r = await runScript(
    method,
    [unshare, '--user', '--map-root-user', '--mount', '/bin/sh', '-c', USERNS_SH],
    opts,
  );
  if (r.ran && r.values.uid_map === undefined) {
    // unshare itself failed: find out whether the user namespace or only the mount namespace was refused.
    const u = await runChild([unshare, '--user', '--map-root-user', '/bin/true'], {
      timeoutMs: opts.timeoutMs,
      user: opts.user,
    });
    r.values.userns_only = u.exitCode === 0 ? 'ok' : 'fail';
    r.values.unshare_error = r.stderr;
  }
  return r;
}

export async function probeFuse(opts: ProbeOptions): Promise<ProbeResult> {
  return runScript('open /dev/fuse read-write', ['/bin/sh', '-c', FUSE_SH], opts);
}

export const PROBES = {
  no_new_privs: probeNoNewPrivs,
  userns: probeUserNamespace,
  fuse: probeFuse,
} as const;

export type ProbeId = keyof typeof PROBES;

/** Runs every probe at once; each has its own deadline. */
export async function runAllProbes(opts: ProbeOptions): Promise<Record<ProbeId, ProbeResult>> {
  const ids = Object.keys(PROBES) as ProbeId[];
  const results = await Promise.all(ids.map((id) => PROBES[id](opts)));
  return Object.fromEntries(ids.map((id, i) => [id, results[i]!])) as Record<ProbeId, ProbeResult>;
}
