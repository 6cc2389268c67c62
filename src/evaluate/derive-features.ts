// Derives kernel features from facts (pure): a live probe beats a file, a file beats a version number.
import type { Fact, Facts, Feature, How } from '../facts/fact.js';
import { baseAtLeast, kernelBaseVersion } from '../version/compare-loose.js';

type Verdict = { state: 'yes' | 'no'; how: How; evidence: string } | null;
type Step = (f: Facts) => Verdict;

const val = (f: Facts, id: string): Fact['value'] | undefined => f.get(id)?.value;
const ev = (f: Facts, id: string): string => f.get(id)?.evidence ?? id;
/** A verdict is only as strong as the fact it rests on: a default inferred from the version stays "version". */
const howOf = (f: Facts, id: string): How => (f.get(id)?.how === 'version' ? 'version' : 'file');
const yes = (how: How, evidence: string): Verdict => ({ state: 'yes', how, evidence });
const no = (how: How, evidence: string): Verdict => ({ state: 'no', how, evidence });

function fromProbe(id: string): Step {
  return (f) => {
    const v = val(f, id);
    if (v === true) return yes('probe', ev(f, id));
    if (v === false) return no('probe', ev(f, id));
    return null;
  };
}

function fromConfig(key: string, what: string): Step {
  return (f) => {
    const v = val(f, `kernel.config.${key}`);
    if (v === 'y' || v === 'm')
      return yes('file', `${ev(f, `kernel.config.${key}`)}${v === 'm' ? ' (module)' : ''}`);
    if (v === 'n')
      return no('file', `${ev(f, `kernel.config.${key}`)}: this kernel was built without ${what}`);
    return null;
  };
}

function fromFilesystems(name: string): Step {
  return (f) => {
    const v = val(f, 'kernel.filesystems');
    return Array.isArray(v) && v.includes(name)
      ? yes('file', `${ev(f, 'kernel.filesystems')}, including ${name}`)
      : null;
  };
}

function base(f: Facts): { base: [number, number, number]; release: string; family: string } | null {
  const release = val(f, 'kernel.release');
  if (typeof release !== 'string') return null;
  const b = kernelBaseVersion(release);
  return b ? { base: b, release, family: String(val(f, 'kernel.family') ?? 'mainline') } : null;
}

function decide(id: string, f: Facts, steps: Step[], unknownWhy: string): Feature {
  for (const s of steps) {
    const v = s(f);
    if (v) return { id, state: v.state, how: v.how, evidence: v.evidence };
  }
  return { id, state: 'unknown', how: 'file', evidence: unknownWhy };
}

/* ---- no_new_privs: prctl(2) "PR_SET_NO_NEW_PRIVS (since Linux 3.5)" ---- */
const noNewPrivs: Step[] = [
  fromProbe('probe.no_new_privs'),
  (f) => {
    const v = val(f, 'status.no_new_privs');
    // The NoNewPrivs: status line exists since 4.10 (proc(5)); its absence never means the prctl is missing.
    return typeof v === 'string'
      ? yes('file', `${ev(f, 'status.no_new_privs')}: the kernel reports the flag, so the prctl exists`)
      : null;
  },
  (f) => {
    const k = base(f);
    if (!k) return null;
    if (baseAtLeast(k.base, 3, 5))
      return yes(
        'version',
        `kernel ${k.release} is based on ${k.base.join('.')}, at or after 3.5 where PR_SET_NO_NEW_PRIVS was added (prctl(2))`,
      );
    if (k.family === 'mainline')
      return no(
        'version',
        `mainline kernel ${k.release} predates 3.5, where PR_SET_NO_NEW_PRIVS was added (prctl(2))`,
      );
    if (k.family === 'suse' && k.base[0] === 3 && k.base[1] === 0)
      return no(
        'version',
        `SLES 11 kernels (${k.release}) lack PR_SET_NO_NEW_PRIVS: Singularity 2.2 warned that the host does not support it on SLES 11 SP3 (knowledge.json no_new_privs caveats); run the live probe to confirm`,
      );
    return null;
  },
];

/* ---- unprivileged user namespaces: namespaces(7), user_namespaces(7), distribution switches ---- */
const RHEL76_BUILD = 957; // RHEL 7.6 kernel 3.10.0-957: only the sysctl is needed from here on (Charliecloud install.rst)
const usernsSwitches: Step[] = [
  (f) =>
    val(f, 'kernel.config.CONFIG_USER_NS') === 'n'
      ? no('file', `${ev(f, 'kernel.config.CONFIG_USER_NS')}: user namespaces are not compiled in`)
      : null,
  (f) =>
    val(f, 'sysctl.user.max_user_namespaces') === 0
      ? no(
          howOf(f, 'sysctl.user.max_user_namespaces'),
          `${ev(f, 'sysctl.user.max_user_namespaces')}: 0 forbids new user namespaces for everyone (namespaces(7))`,
        )
      : null,
  (f) =>
    val(f, 'sysctl.kernel.unprivileged_userns_clone') === 0
      ? no(
          howOf(f, 'sysctl.kernel.unprivileged_userns_clone'),
          `${ev(f, 'sysctl.kernel.unprivileged_userns_clone')}: Debian's switch restricts user namespaces to privileged callers`,
        )
      : null,
  (f) => {
    const k = base(f);
    if (!k || k.family !== 'rhel' || !/^3\.10\.0-(\d+)/.test(k.release)) return null;
    const build = Number(/^3\.10\.0-(\d+)/.exec(k.release)![1]);
    const cmd = String(val(f, 'kernel.cmdline') ?? '');
    if (
      build < RHEL76_BUILD &&
      val(f, 'kernel.cmdline') !== undefined &&
      !/\buser_namespace\.enable=1\b/.test(cmd)
    )
      return no(
        'file',
        `RHEL/CentOS 7 kernel ${k.release} (before 7.6) needs user_namespace.enable=1 on the command line, and ${ev(f, 'kernel.cmdline')} lacks it (Charliecloud install.rst)`,
      );
    return null;
  },
  (f) => {
    const k = base(f);
    if (k && !baseAtLeast(k.base, 3, 8))
      return no(
        'version',
        `kernel ${k.release} predates 3.8, where unprivileged user namespaces became possible (user_namespaces(7))`,
      );
    return null;
  },
  (f) => {
    // Every switch known and open: the files say yes. Unknown switches leave the answer unknown.
    const cfg = val(f, 'kernel.config.CONFIG_USER_NS');
    const max = val(f, 'sysctl.user.max_user_namespaces');
    const clone = val(f, 'sysctl.kernel.unprivileged_userns_clone');
    if (
      (cfg === 'y' || val(f, 'probe.userns') === true) &&
      (typeof max === 'number' ? max > 0 : max === null) &&
      (clone === null || clone === 1)
    )
      return yes(
        ['sysctl.user.max_user_namespaces', 'sysctl.kernel.unprivileged_userns_clone'].some(
          (id) => howOf(f, id) === 'version',
        )
          ? 'version'
          : 'file',
        `CONFIG_USER_NS=y; user.max_user_namespaces=${max ?? 'not limited'}; kernel.unprivileged_userns_clone ${clone ?? 'absent'}`,
      );
    return null;
  },
];

const appArmorRestriction: Step = (f) =>
  val(f, 'sysctl.kernel.apparmor_restrict_unprivileged_userns') === 1
    ? no(
        'file',
        `${ev(f, 'sysctl.kernel.apparmor_restrict_unprivileged_userns')}: Ubuntu's AppArmor mediation gives unconfined processes user namespaces without capabilities; only programs whose AppArmor profile grants "userns" can use them`,
      )
    : null;

/** For an unconfined process: the probe, then every switch including Ubuntu's AppArmor restriction. */
const unprivilegedUserns: Step[] = [
  fromProbe('probe.userns'),
  appArmorRestriction,
  ...usernsSwitches.slice(0, -1),
  (f) => {
    const aa = val(f, 'sysctl.kernel.apparmor_restrict_unprivileged_userns');
    return aa === null || aa === 0 ? usernsSwitches[usernsSwitches.length - 1]!(f) : null;
  },
];

/** For a program an AppArmor profile grants "userns": the same switches without the AppArmor restriction. */
const usernsIfConfined: Step[] = [
  (f) => (val(f, 'probe.userns') === true ? yes('probe', ev(f, 'probe.userns')) : null),
  ...usernsSwitches,
];

const setgroupsDeny: Step[] = [
  (f) => {
    const v = val(f, 'probe.userns_setgroups');
    if (v === 'deny')
      return yes('probe', `inside a new user namespace /proc/self/setgroups read "deny" (CVE-2014-8989 fix)`);
    if (v === 'absent') return no('probe', 'inside a new user namespace /proc/self/setgroups does not exist');
    return null;
  },
  (f) => {
    const v = val(f, 'proc.setgroups_file');
    if (v === true)
      return yes(
        'file',
        `${ev(f, 'proc.setgroups_file')}: the CVE-2014-8989 fix is present (user_namespaces(7), since 3.19 and stable backports)`,
      );
    if (v === false) return no('file', `${ev(f, 'proc.setgroups_file')}: the CVE-2014-8989 fix is missing`);
    return null;
  },
  (f) => {
    const k = base(f);
    if (k && baseAtLeast(k.base, 3, 19))
      return yes(
        'version',
        `kernel ${k.release} is based on ${k.base.join('.')}, at or after 3.19 where /proc/PID/setgroups arrived (CVE-2014-8989)`,
      );
    if (k && k.family === 'mainline' && !baseAtLeast(k.base, 3, 12))
      return no(
        'version',
        `mainline kernel ${k.release} predates the CVE-2014-8989 fix (3.19; stable 3.12.36, 3.14.28, 3.16.35, 3.18.2)`,
      );
    return null;
  },
];

const unprivilegedOverlay: Step[] = [
  fromProbe('probe.userns_overlay'),
  (f) =>
    val(f, 'probe.userns') === false
      ? no('probe', `no user namespace could be created: ${ev(f, 'probe.userns')}`)
      : null,
  (f) => {
    const k = base(f);
    if (!k) return null;
    const ovl = val(f, 'kernel.config.CONFIG_OVERLAY_FS');
    if (ovl === 'n') return no('file', `${ev(f, 'kernel.config.CONFIG_OVERLAY_FS')}`);
    if (baseAtLeast(k.base, 5, 11) && (ovl === 'y' || ovl === 'm'))
      return yes(
        'version',
        `kernel ${k.release} is based on ${k.base.join('.')}: overlayfs in user namespaces arrived in 5.11 (Apptainer admin guide)`,
      );
    if (!baseAtLeast(k.base, 5, 11) && k.family === 'mainline')
      return no(
        'version',
        `mainline kernel ${k.release} predates 5.11, where overlayfs became mountable in user namespaces`,
      );
    return null;
  },
];

const unprivilegedFuse: Step[] = [
  fromProbe('probe.fuse_open'),
  (f) => {
    const v = val(f, 'dev.fuse_world_rw');
    if (v === true) return yes('file', `${ev(f, 'dev.fuse_world_rw')}: any user can open it`);
    if (v === false) return no('file', `${ev(f, 'dev.fuse_world_rw')}: ordinary users cannot open it`);
    return null;
  },
];

const seccompFilter: Step[] = [
  fromProbe('probe.seccomp_filter'),
  fromConfig('CONFIG_SECCOMP_FILTER', 'seccomp filter mode'),
  (f) =>
    typeof val(f, 'status.seccomp_filters') === 'string'
      ? yes('file', `${ev(f, 'status.seccomp_filters')}: the line exists only with CONFIG_SECCOMP_FILTER`)
      : null,
];

const userNamespaces: Step[] = [
  (f) => (val(f, 'probe.userns') === true ? yes('probe', ev(f, 'probe.userns')) : null),
  fromConfig('CONFIG_USER_NS', 'user namespaces'),
];

export function deriveFeatures(f: Facts): Feature[] {
  return [
    decide(
      'no_new_privs',
      f,
      noNewPrivs,
      'no probe result, no NoNewPrivs status line and no usable kernel release; a distribution kernel older than 3.5 may carry a backport, so only the live probe can tell',
    ),
    decide(
      'unprivileged_userns',
      f,
      unprivilegedUserns,
      'the switches that govern unprivileged user namespaces (CONFIG_USER_NS, user.max_user_namespaces, distribution sysctls) are not all known from these files',
    ),
    decide('user_namespaces', f, userNamespaces, 'no kernel config and no probe'),
    decide(
      'userns_with_apparmor_profile',
      f,
      usernsIfConfined,
      'the switches that govern user namespaces are not all known from these files',
    ),
    decide('setgroups_deny', f, setgroupsDeny, 'no /proc to look for /proc/self/setgroups'),
    decide(
      'unprivileged_overlayfs',
      f,
      unprivilegedOverlay,
      'distribution kernels before 5.11 may carry a backport (Ubuntu does); only the live probe can tell',
    ),
    decide('unprivileged_fuse', f, unprivilegedFuse, 'no /dev/fuse in this tree and no probe'),
    decide(
      'seccomp_filter',
      f,
      seccompFilter,
      'no kernel config, no Seccomp_filters status line and no probe',
    ),
    decide(
      'squashfs_kernel',
      f,
      [fromConfig('CONFIG_SQUASHFS', 'squashfs'), fromFilesystems('squashfs')],
      'no kernel config and squashfs is not loaded',
    ),
    decide('loop_devices', f, [fromConfig('CONFIG_BLK_DEV_LOOP', 'loop devices')], 'no kernel config'),
    decide(
      'overlayfs',
      f,
      [fromConfig('CONFIG_OVERLAY_FS', 'overlayfs'), fromFilesystems('overlay')],
      'no kernel config and overlay is not loaded',
    ),
  ];
}
