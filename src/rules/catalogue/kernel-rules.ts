// Kernel rules: the features container runtimes stand on, and the hardening switches that trade against them.
import type { Rule } from '../rule.js';
import { REF } from './references.js';

export const KERNEL_RULES: Rule[] = [
  {
    id: 'CS-K001',
    title: 'PR_SET_NO_NEW_PRIVS works',
    severity: 'critical',
    check: { fact: 'feature.no_new_privs', op: 'eq', value: 'yes' },
    affects: ['setuid'],
    rationale:
      'no_new_privs stops execve() from granting privileges (setuid bits, file capabilities) inside a container. Setuid-root runtimes rely on it: Singularity >= 2.5 and Apptainer refuse to start without it, and older Singularity and Shifter builds without it let users regain privilege inside containers.',
    remediation:
      'Boot a kernel that supports PR_SET_NO_NEW_PRIVS (mainline 3.5 or later, or a distribution kernel with the backport). Until then, do not offer setuid-root container runtimes on this host.',
    references: [REF.prctl, REF.singularity25],
    recommendedBy: ['Singularity >= 2.5 (mandatory)', 'Apptainer', 'Shifter doc/security.rst'],
    examples: [
      { facts: { 'feature.no_new_privs': 'yes' }, expect: 'pass' },
      { facts: { 'feature.no_new_privs': 'no' }, expect: 'fail' },
      { facts: {}, expect: 'unknown' },
    ],
  },
  {
    id: 'CS-K002',
    title: 'Unprivileged user namespaces are available',
    severity: 'medium',
    models: ['userns', 'both'],
    tradeoff:
      'This site offers only setuid-root runtimes, which do not need unprivileged user namespaces; see CS-K003 for the hardening side.',
    check: { fact: 'feature.unprivileged_userns', op: 'eq', value: 'yes' },
    affects: ['unprivileged'],
    rationale:
      'Charliecloud, rootless Podman, enroot and Apptainer without setuid create containers in unprivileged user namespaces; without them these runtimes cannot start.',
    remediation:
      'Set user.max_user_namespaces to a positive value (RHEL/CentOS 7.6+: e.g. 15000; 7.4-7.5 also need user_namespace.enable=1 namespace.unpriv_enable=1 on the kernel command line); on Debian <= 10 set kernel.unprivileged_userns_clone=1; on Ubuntu >= 23.10 install an AppArmor profile granting "userns" to the runtime.',
    references: [REF.userNamespaces, REF.namespaces, REF.apptainerUserns, REF.charliecloudInstall],
    recommendedBy: ['Apptainer admin guide', 'Charliecloud install guide', 'enroot requirements'],
    examples: [
      { facts: { 'feature.unprivileged_userns': 'yes' }, expect: 'pass' },
      { facts: { 'feature.unprivileged_userns': 'no' }, expect: 'fail' },
      { facts: { 'feature.unprivileged_userns': 'no' }, model: 'setuid', expect: 'not-applicable' },
    ],
  },
  {
    id: 'CS-K003',
    title: 'Unprivileged user namespaces are disabled where no runtime needs them',
    severity: 'medium',
    models: ['setuid'],
    tradeoff:
      'This site runs unprivileged runtimes (Charliecloud, Podman, enroot, Apptainer) that need unprivileged user namespaces; hardening guides that disable them would stop those runtimes. Keep the kernel patched instead (most 2016-2024 local-root exploits reached kernel code through user namespaces).',
    check: { fact: 'feature.unprivileged_userns', op: 'eq', value: 'no' },
    affects: ['setuid'],
    rationale:
      'Unprivileged user namespaces let any user reach kernel code normally reserved for root (netfilter, overlayfs, mount APIs); many local privilege escalations start there. A site whose runtimes are all setuid-root gains nothing from them.',
    remediation:
      'Set user.max_user_namespaces=0 (namespaces(7)) or, on Debian, kernel.unprivileged_userns_clone=0.',
    references: [REF.namespaces, REF.khc, REF.egiSvg],
    recommendedBy: ['kernel-hardening-checker', 'EGI SVG (as a mitigation)', 'DISA STIG RHEL 9'],
    examples: [
      { facts: { 'feature.unprivileged_userns': 'no' }, model: 'setuid', expect: 'pass' },
      { facts: { 'feature.unprivileged_userns': 'yes' }, model: 'setuid', expect: 'fail' },
      { facts: { 'feature.unprivileged_userns': 'yes' }, model: 'userns', expect: 'not-applicable' },
    ],
  },
  {
    id: 'CS-K004',
    title: 'setgroups is denied in user namespaces (CVE-2014-8989 fixed)',
    severity: 'high',
    applies: { fact: 'feature.unprivileged_userns', op: 'eq', value: 'yes' },
    check: { fact: 'feature.setgroups_deny', op: 'eq', value: 'yes' },
    affects: ['unprivileged'],
    rationale:
      'Without /proc/PID/setgroups an unprivileged user can drop supplementary groups inside a user namespace and read files that deny access by group.',
    remediation:
      'Update the kernel to 3.19 or a stable release with the fix (3.12.36, 3.14.28, 3.16.35, 3.18.2).',
    references: [REF.cve20148989, REF.userNamespaces],
    recommendedBy: ['Linux kernel (fix in 3.19)'],
    examples: [
      { facts: { 'feature.unprivileged_userns': 'yes', 'feature.setgroups_deny': 'yes' }, expect: 'pass' },
      { facts: { 'feature.unprivileged_userns': 'yes', 'feature.setgroups_deny': 'no' }, expect: 'fail' },
      { facts: { 'feature.unprivileged_userns': 'no' }, expect: 'not-applicable' },
    ],
  },
  {
    id: 'CS-K005',
    title: 'Seccomp filter mode is available',
    severity: 'medium',
    check: { fact: 'feature.seccomp_filter', op: 'eq', value: 'yes' },
    affects: ['podman', 'enroot', 'sarus'],
    rationale:
      'OCI runtimes (runc, crun) under Podman and Sarus, and enroot, apply seccomp filters to containers; enroot requires CONFIG_SECCOMP_FILTER.',
    remediation: 'Use a kernel built with CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER.',
    references: [REF.prctl, REF.enrootRequirements],
    recommendedBy: ['enroot requirements', 'OCI runtime spec'],
    examples: [
      { facts: { 'feature.seccomp_filter': 'yes' }, expect: 'pass' },
      { facts: { 'feature.seccomp_filter': 'no' }, expect: 'fail' },
    ],
  },
  {
    id: 'CS-K006',
    title: 'Unprivileged eBPF is disabled',
    severity: 'medium',
    applies: { fact: 'sysctl.kernel.unprivileged_bpf_disabled', op: 'ne', value: null },
    check: { fact: 'sysctl.kernel.unprivileged_bpf_disabled', op: 'in', value: [1, 2] },
    affects: ['all'],
    rationale:
      'The bpf() syscall open to every user has been a repeated route to kernel exploits; containers do not need it.',
    remediation: 'Set kernel.unprivileged_bpf_disabled=1 (permanent) or 2 in /etc/sysctl.d.',
    references: [REF.sysctlKernel, REF.khc],
    recommendedBy: ['kernel-hardening-checker', 'Debian (default since bullseye)'],
    examples: [
      { facts: { 'sysctl.kernel.unprivileged_bpf_disabled': 2 }, expect: 'pass' },
      { facts: { 'sysctl.kernel.unprivileged_bpf_disabled': 0 }, expect: 'fail' },
      { facts: { 'sysctl.kernel.unprivileged_bpf_disabled': null }, expect: 'not-applicable' },
    ],
  },
  {
    id: 'CS-K007',
    title: 'Yama restricts ptrace to descendants',
    severity: 'low',
    check: { fact: 'sysctl.kernel.yama.ptrace_scope', op: 'gte', value: 1 },
    affects: ['all'],
    rationale:
      'With ptrace_scope 0 any process can attach to any other of the same user, including a container launcher while it still holds privileges or file descriptors.',
    remediation: 'Enable the Yama LSM and set kernel.yama.ptrace_scope=1.',
    references: [REF.yama, REF.khc],
    recommendedBy: ['kernel-hardening-checker', 'Ubuntu default'],
    examples: [
      { facts: { 'sysctl.kernel.yama.ptrace_scope': 1 }, expect: 'pass' },
      { facts: { 'sysctl.kernel.yama.ptrace_scope': 0 }, expect: 'fail' },
      { facts: { 'sysctl.kernel.yama.ptrace_scope': null }, expect: 'fail' },
    ],
  },
  {
    id: 'CS-K008',
    title: 'Symlink and hardlink protections are on',
    severity: 'low',
    check: {
      all: [
        { fact: 'sysctl.fs.protected_symlinks', op: 'eq', value: 1 },
        { fact: 'sysctl.fs.protected_hardlinks', op: 'eq', value: 1 },
      ],
    },
    affects: ['setuid'],
    rationale:
      'Setuid-root helpers that follow links in sticky, world-writable directories (/tmp) are classic privilege-escalation targets; these switches close that class.',
    remediation: 'Set fs.protected_symlinks=1 and fs.protected_hardlinks=1.',
    references: [REF.sysctlFs, REF.khc],
    recommendedBy: ['kernel-hardening-checker', 'systemd default (50-default.conf)'],
    examples: [
      { facts: { 'sysctl.fs.protected_symlinks': 1, 'sysctl.fs.protected_hardlinks': 1 }, expect: 'pass' },
      { facts: { 'sysctl.fs.protected_symlinks': 0, 'sysctl.fs.protected_hardlinks': 1 }, expect: 'fail' },
    ],
  },
  {
    id: 'CS-K009',
    title: 'Kernel squashfs and loop devices for setuid image mounts',
    severity: 'info',
    applies: { fact: 'host.setuid_runtime', op: 'eq', value: true },
    check: {
      all: [
        { fact: 'feature.squashfs_kernel', op: 'eq', value: 'yes' },
        { fact: 'feature.loop_devices', op: 'eq', value: 'yes' },
      ],
    },
    affects: ['shifter', 'sarus'],
    rationale:
      'Setuid runtimes (Shifter, Sarus, Singularity in setuid mode) mount SIF and squashfs images through loop devices and the kernel squashfs driver.',
    remediation: 'Build or load the squashfs and loop modules (CONFIG_SQUASHFS, CONFIG_BLK_DEV_LOOP).',
    references: [REF.shifterSecurity, REF.sarusRequirements],
    recommendedBy: ['Shifter', 'Sarus requirements'],
    examples: [
      {
        facts: {
          'host.setuid_runtime': true,
          'feature.squashfs_kernel': 'yes',
          'feature.loop_devices': 'yes',
        },
        expect: 'pass',
      },
      {
        facts: {
          'host.setuid_runtime': true,
          'feature.squashfs_kernel': 'no',
          'feature.loop_devices': 'yes',
        },
        expect: 'fail',
      },
      { facts: { 'host.setuid_runtime': false }, expect: 'not-applicable' },
    ],
  },
];
