// Turns raw probe output into facts (pure): which step worked, which failed, and the kernel's own error.
import { addFact, type Facts } from '../facts/fact.js';
import type { ProbeResult } from './probe-result.js';

const ERRNO: Record<string, string> = {
  '1': 'EPERM',
  '13': 'EACCES',
  '14': 'EFAULT',
  '22': 'EINVAL',
  '38': 'ENOSYS',
};
const errnoName = (n: string | undefined) => (n === undefined ? '?' : (ERRNO[n] ?? `errno ${n}`));

export function interpretProbes(probes: Record<string, ProbeResult>, facts: Facts, origin: string): void {
  const nnp = probes.no_new_privs;
  const who = (p: ProbeResult) => `as ${p.user}${origin}`;
  if (nnp) {
    const v = nnp.values;
    if (nnp.ran && v.set !== undefined) {
      const works = v.set === '0' && v.get === '1';
      addFact(
        facts,
        'probe.no_new_privs',
        works,
        'probe',
        works
          ? `${nnp.method} ${who(nnp)}: PR_SET_NO_NEW_PRIVS returned 0 and PR_GET_NO_NEW_PRIVS returned 1 (Singularity's test)`
          : `${nnp.method} ${who(nnp)}: PR_SET_NO_NEW_PRIVS returned ${v.set} (${errnoName(v.set_errno)}), PR_GET_NO_NEW_PRIVS returned ${v.get}`,
      );
      if (v.filter !== undefined) {
        const fe = v.filter_errno;
        // EFAULT: filter mode exists and rejected our NULL program; EINVAL: no CONFIG_SECCOMP_FILTER (prctl(2)).
        if (fe === '14')
          addFact(
            facts,
            'probe.seccomp_filter',
            true,
            'probe',
            `${nnp.method} ${who(nnp)}: PR_SET_SECCOMP(SECCOMP_MODE_FILTER, NULL) failed with EFAULT, so filter mode exists`,
          );
        else if (fe === '22' && v.seccomp_mode_errno === '22')
          addFact(
            facts,
            'probe.seccomp_filter',
            false,
            'probe',
            `${nnp.method} ${who(nnp)}: PR_GET_SECCOMP and PR_SET_SECCOMP both fail with EINVAL: no seccomp`,
          );
        else if (fe === '22')
          addFact(
            facts,
            'probe.seccomp_filter',
            false,
            'probe',
            `${nnp.method} ${who(nnp)}: PR_SET_SECCOMP(SECCOMP_MODE_FILTER) failed with EINVAL: no filter mode`,
          );
      }
    } else
      addFact(
        facts,
        'probe.no_new_privs.error',
        nnp.error ?? (nnp.stderr || 'no output'),
        'probe',
        `${nnp.method}: ${nnp.error ?? (nnp.stderr || 'no output')}`,
      );
  }
  const u = probes.userns;
  if (u) {
    const v = u.values;
    if (u.ran && v.uid_map !== undefined) {
      addFact(
        facts,
        'probe.userns',
        true,
        'probe',
        `${u.method} ${who(u)}: created; uid_map "${v.uid_map}", gid_map "${v.gid_map}", setgroups ${v.setgroups}`,
      );
      addFact(
        facts,
        'probe.userns_setgroups',
        v.setgroups ?? 'absent',
        'probe',
        `/proc/self/setgroups inside: ${v.setgroups}`,
      );
      addFact(
        facts,
        'probe.userns_tmpfs',
        v.tmpfs === 'ok',
        'probe',
        v.tmpfs === 'ok'
          ? `mount -t tmpfs inside the new user+mount namespace ${who(u)} succeeded`
          : `mount -t tmpfs inside the user namespace failed: ${v.tmpfs_error ?? '?'}`,
      );
      if (v.overlay !== undefined)
        addFact(
          facts,
          'probe.userns_overlay',
          v.overlay === 'ok',
          'probe',
          v.overlay === 'ok'
            ? `mount -t overlay inside the user namespace ${who(u)} succeeded`
            : `mount -t overlay inside the user namespace failed: ${v.overlay_error ?? '?'}`,
        );
    } else if (u.ran && facts.get('container.chroot')?.value === true && v.userns_only !== 'ok') {
      // unshare(2): EPERM "the caller's root directory does not match the root directory of the mount namespace".
      // The failure speaks for the chroot, not for the kernel's switches: leave the verdict to them.
      addFact(
        facts,
        'probe.userns.error',
        'chroot',
        'probe',
        `${u.method} ${who(u)} failed in a chroot, where the kernel refuses new user namespaces (unshare(2)): ${u.stderr || `exit ${u.exitCode}`}`,
      );
    } else if (u.ran) {
      const userOnly = v.userns_only === 'ok';
      addFact(
        facts,
        'probe.userns',
        userOnly,
        'probe',
        userOnly
          ? `${u.method} ${who(u)}: the user namespace works but the mount namespace step failed: ${u.stderr}`
          : `${u.method} ${who(u)} failed: ${u.stderr || `exit ${u.exitCode}`}`,
      );
    } else
      addFact(
        facts,
        'probe.userns.error',
        u.error ?? 'did not run',
        'probe',
        `${u.method}: ${u.error ?? 'did not run'}`,
      );
  }
  const f = probes.fuse;
  if (f) {
    const v = f.values.fuse;
    if (f.ran && v !== undefined)
      addFact(
        facts,
        'probe.fuse_open',
        v === 'ok',
        'probe',
        v === 'ok'
          ? `/dev/fuse opened read-write ${who(f)}`
          : v === 'absent'
            ? '/dev/fuse does not exist'
            : `opening /dev/fuse ${who(f)} failed: ${(f.values.fuse_error ?? '').replace(/^\/bin\/sh: \d+: /, '')}`,
      );
    else
      addFact(
        facts,
        'probe.fuse.error',
        f.error ?? 'did not run',
        'probe',
        `${f.method}: ${f.error ?? 'did not run'}`,
      );
  }
}
