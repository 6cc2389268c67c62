// The live probes: each a tiny script in its own child process, run as an unprivileged user, changing nothing on the host.
import * as fs from 'node:fs';
import { firstLine, type ChildUser } from './run-child.js';
import type { JobResult } from './run-batch.js';
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

/**
 * Perl's own architecture (its Config archname: `uname -m`, then the OS, as perl's Configure writes it) for each of
 * Node's: the syscall number must be the one of the perl that calls it, which need not be Node's (an x64 executable
 * run by an emulator on an arm64 node finds the node's own perl). x32 perls take other numbers and match none.
 */
const PERL_ARCHNAME: Record<string, string> = {
  x64: '^x86_64-(?!.*x32)',
  arm64: '^aarch64-',
  riscv64: '^riscv64-',
  ppc64: '^powerpc64',
  s390x: '^s390x-',
  ia32: '^i[3-6]86-',
  arm: '^arm',
};

/** Arguments for PERL_NR: pairs of archname pattern and syscall number, from a per-architecture table. */
export function perlSyscallArgs(table: Record<string, number>): string[] {
  return Object.entries(table).flatMap(([arch, nr]) => {
    const re = PERL_ARCHNAME[arch];
    return re === undefined ? [] : [re, String(nr)];
  });
}

/**
 * Takes $nr for this perl's own architecture from the argument pairs. When none matches it makes no syscall: it
 * runs the fallback given after "--" (the probe's shell or python3 version), saying so in a value, or stops with one
 * line when there is none.
 */
const PERL_NR = `
use Config; my $nr;
while (@ARGV >= 2 && $ARGV[0] ne '--') { my ($re, $n) = splice(@ARGV, 0, 2); if ($Config{archname} =~ /$re/) { $nr = $n; last; } }
unless (defined $nr) {
  shift @ARGV while @ARGV && $ARGV[0] ne '--';
  if (@ARGV > 1) { shift @ARGV; $| = 1; print "fallback=perl for $Config{archname} has no syscall number here\n"; exec { $ARGV[0] } @ARGV; }
  print "no syscall number known for perl's architecture $Config{archname}\n"; exit 3;
}
`;

/*
 * Singularity >= 2.5's exact test (src/util/privilege.c, singularity_priv_check_nonewprivs):
 * prctl(PR_SET_NO_NEW_PRIVS=38, 1) must return 0 and prctl(PR_GET_NO_NEW_PRIVS=39) must return 1.
 * Then seccomp filter mode, as Chromium's sandbox probes it: with no_new_privs set,
 * prctl(PR_SET_SECCOMP=22, SECCOMP_MODE_FILTER=2, NULL) fails with EFAULT when filter mode
 * exists and EINVAL when it does not (prctl(2)); nothing is installed either way.
 * All of it happens in the child only: no_new_privs dies with that process.
 */
const NNP_PERL = `${PERL_NR}
$! = 0;
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
m=; while read -r a b c; do m="$m$a $b $c;"; done < /proc/self/uid_map; echo "uid_map=$m"
m=; while read -r a b c; do m="$m$a $b $c;"; done < /proc/self/gid_map; echo "gid_map=$m"
if [ -e /proc/self/setgroups ]; then read -r g < /proc/self/setgroups; echo "setgroups=$g"; else echo setgroups=absent; fi
if err=$(mount -t tmpfs -o size=1m,mode=0700 ctrsafe-probe /tmp 2>&1); then
  echo tmpfs=ok
  mkdir /tmp/l /tmp/u /tmp/w /tmp/m && echo x > /tmp/l/f
  if err=$(mount -t overlay overlay -o lowerdir=/tmp/l,upperdir=/tmp/u,workdir=/tmp/w /tmp/m 2>&1); then
    if [ -f /tmp/m/f ]; then echo overlay=ok; else echo overlay=fail; echo "overlay_error=mounted but lower file not visible"; fi
  else echo overlay=fail; echo "overlay_error=$err"; fi
else echo tmpfs=fail; echo "tmpfs_error=$err"; fi
`;

/** mount(2) syscall numbers per architecture (linux/arch/<arch>/ syscall tables; arm64 and riscv64 share asm-generic). */
const MOUNT_NR: Record<string, number> = {
  x64: 165,
  arm64: 40,
  riscv64: 40,
  ppc64: 21,
  s390x: 21,
  ia32: 21,
  arm: 21,
};

/*
 * The same probe as USERNS_SH, in one perl process: mount(2) called directly instead of two runs of mount(8), a
 * mkdir(1) and their subshells. It asks the kernel the same two questions (may this user namespace's root mount a
 * tmpfs, and an overlay on it?) with five fewer processes; those processes were the longest wait of a check
 * (issue 16). perl's syscall() passes a scalar's string as a pointer and wants it modifiable: hence the variables.
 */
const USERNS_PERL = `${PERL_NR}
for my $map (qw(uid_map gid_map)) {
  my $m = ''; if (open(my $f, '<', "/proc/self/$map")) { while (my $l = <$f>) { my @p = split ' ', $l; $m .= "@p;"; } }
  print "$map=$m\n";
}
if (open(my $g, '<', '/proc/self/setgroups')) { my $v = <$g>; chomp $v; print "setgroups=$v\n"; } else { print "setgroups=absent\n"; }
my ($src, $dir, $type, $opts) = ('ctrsafe-probe', '/tmp', 'tmpfs', 'size=1m,mode=0700');
$! = 0;
if (syscall($nr, $src, $dir, $type, 0, $opts) == 0) {
  print "tmpfs=ok\n";
  mkdir "/tmp/$_" for qw(l u w m);
  if (open(my $x, '>', '/tmp/l/f')) { print $x "x\n"; close $x; }
  my ($osrc, $odir, $otype, $oopts) = ('overlay', '/tmp/m', 'overlay', 'lowerdir=/tmp/l,upperdir=/tmp/u,workdir=/tmp/w');
  $! = 0;
  if (syscall($nr, $osrc, $odir, $otype, 0, $oopts) == 0) {
    if (-f '/tmp/m/f') { print "overlay=ok\n"; } else { print "overlay=fail\noverlay_error=mounted but lower file not visible\n"; }
  } else { print "overlay=fail\noverlay_error=mount(2): $!\n"; }
} else { print "tmpfs=fail\ntmpfs_error=mount(2): $!\n"; }
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

const TOOL_DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin'];

/** Every path the probe planner may look at (access(2)) for its tools: what the in-process gate checks first. */
export function probeToolPaths(): string[] {
  return ['perl', 'python3', 'unshare'].flatMap((cmd) => TOOL_DIRS.map((dir) => `${dir}/${cmd}`));
}

function which(cmd: string): string | null {
  for (const dir of TOOL_DIRS) {
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

export type ProbeId = 'no_new_privs' | 'userns' | 'fuse';

/** When the namespace probe fails, this second job tells whether the user namespace or the mount step was refused. */
export function usernsOnlyJob(): string[] | null {
  const unshare = which('unshare');
  return unshare ? [unshare, '--user', '--map-root-user', '/bin/true'] : null;
}

interface ProbePlan {
  id: ProbeId;
  method: string;
  argv: string[] | null;
  /** Why it cannot run here, when argv is null. */
  missing?: string;
}

/** What each probe runs on this host, with the fallbacks chosen by what is installed. */
export function planProbes(): ProbePlan[] {
  const plans: ProbePlan[] = [];
  // perl picks the syscall number of its own architecture, and runs the fallback where it has none (PERL_NR).
  const perl = which('perl');
  const py = which('python3');
  if (perl)
    plans.push({
      id: 'no_new_privs',
      method: 'perl syscall prctl',
      argv: [perl, '-e', NNP_PERL, ...perlSyscallArgs(PRCTL_NR), ...(py ? ['--', py, '-c', NNP_PYTHON] : [])],
    });
  else if (py)
    plans.push({ id: 'no_new_privs', method: 'python3 ctypes prctl', argv: [py, '-c', NNP_PYTHON] });
  else
    plans.push({
      id: 'no_new_privs',
      method: 'prctl',
      argv: null,
      missing: 'neither perl nor python3 is installed to call prctl(2)',
    });
  const unshare = which('unshare');
  if (unshare && perl) {
    plans.push({
      id: 'userns',
      method: 'unshare --user --map-root-user --mount, mount(2) from perl',
      argv: [
        unshare,
        '--user',
        '--map-root-user',
        '--mount',
        perl,
        '-e',
        USERNS_PERL,
        ...perlSyscallArgs(MOUNT_NR),
        '--',
        '/bin/sh',
        '-c',
        USERNS_SH,
      ],
    });
  } else if (unshare) {
    plans.push({
      id: 'userns',
      method: 'unshare --user --map-root-user --mount',
      argv: [unshare, '--user', '--map-root-user', '--mount', '/bin/sh', '-c', USERNS_SH],
    });
  } else
    plans.push({
      id: 'userns',
      method: 'unshare',
      argv: null,
      missing: 'util-linux unshare is not installed',
    });
  plans.push({ id: 'fuse', method: 'open /dev/fuse read-write', argv: ['/bin/sh', '-c', FUSE_SH] });
  return plans;
}

/** Turns a job's merged output into a probe result: key=value lines are values, the first other line is the error. */
export function probeResultFrom(plan: ProbePlan, user: string, job: JobResult | undefined): ProbeResult {
  const notRun = (error: string): ProbeResult => ({
    ran: false,
    method: plan.method,
    user,
    values: {},
    exitCode: null,
    stderr: '',
    error,
  });
  if (!plan.argv || !job) return notRun(plan.missing ?? 'did not run');
  if (!job.started) return notRun(firstLine(job.output));
  const values = parseKeyValueLines(job.output);
  const other = job.output.split('\n').find((l) => l.trim() !== '' && !/^[a-z_][a-z0-9_]*=/.test(l));
  const result: ProbeResult = {
    ran: !job.timedOut,
    method: plan.method,
    user,
    values,
    exitCode: job.exitCode,
    stderr: firstLine(other ?? ''),
  };
  if (job.timedOut) result.error = 'timed out';
  else if (job.exitCode === 127 || job.exitCode === 126) result.error = firstLine(job.output);
  return result;
}
