// Kernel defaults of the sysctls a node image leaves unset, per kernel family, with their sources (data).
import type { KernelFamily } from '../version/classify-kernel.js';
import { baseAtLeast } from '../version/compare-loose.js';

export interface SysctlDefault {
  key: string;
  families: KernelFamily[];
  /** Applies when the kernel's base version is at least this (inclusive) ... */
  from?: [number, number];
  /** ... and below this (exclusive). */
  before?: [number, number];
  release?: RegExp;
  /** null: the kernel has no such setting. */
  value: number | null;
  source: string;
}

export const SYSCTL_DEFAULTS: SysctlDefault[] = [
  {
    key: 'user.max_user_namespaces',
    families: ['rhel'],
    release: /^3\.10\.0-/,
    value: 0,
    source:
      'RHEL/CentOS 7 kernels default user.max_user_namespaces to 0 (Charliecloud install.rst: 7.6 and up need only the sysctl)',
  },
  {
    key: 'kernel.unprivileged_userns_clone',
    families: ['rhel', 'suse', 'fedora', 'mainline'],
    value: null,
    source:
      'only Debian and Ubuntu kernels carry the out-of-tree unprivileged_userns_clone switch (enroot requirements.md)',
  },
  {
    key: 'kernel.unprivileged_userns_clone',
    families: ['debian'],
    before: [5, 10],
    value: 0,
    source:
      'Debian kernels before 5.10 default unprivileged_userns_clone to 0 (bubblewrap README.Debian; Debian 11 release notes 5.1.14)',
  },
  {
    key: 'kernel.unprivileged_userns_clone',
    families: ['debian', 'ubuntu'],
    from: [5, 10],
    value: 1,
    source:
      'Debian >= 5.10 and Ubuntu kernels default unprivileged_userns_clone to 1 (bubblewrap README.Debian)',
  },
  {
    key: 'kernel.apparmor_restrict_unprivileged_userns',
    families: ['rhel', 'suse', 'fedora', 'debian', 'mainline'],
    value: null,
    source:
      'the AppArmor user-namespace mediation is an Ubuntu kernel feature (ubuntu.com, "restricted unprivileged user namespaces")',
  },
];

export function sysctlDefault(
  key: string,
  family: KernelFamily,
  release: string,
  base: [number, number, number] | null,
): SysctlDefault | null {
  for (const d of SYSCTL_DEFAULTS) {
    if (d.key !== key || !d.families.includes(family)) continue;
    if (d.release && !d.release.test(release)) continue;
    if ((d.from || d.before) && !base) continue;
    if (d.from && !baseAtLeast(base!, d.from[0], d.from[1])) continue;
    if (d.before && baseAtLeast(base!, d.before[0], d.before[1])) continue;
    return d;
  }
  return null;
}
