// Host rules: mounts users write to, subordinate id ranges, privileged helpers, and where ctrsafe itself runs.
import type { Rule } from '../rule.js';
import { REF } from './references.js';

export const HOST_RULES: Rule[] = [
  {
    id: 'CS-H001',
    title: 'File systems users write to are mounted nosuid',
    severity: 'medium',
    check: { fact: 'mounts.user_writable_without_nosuid', op: 'empty' },
    affects: ['setuid'],
    rationale:
      "A setuid binary that a user copies, unpacks from an image or builds on /home, /tmp, /dev/shm or a parallel file system runs with its owner's privileges unless the mount is nosuid. Shifter mounts every image nosuid for this reason; the host file systems users write to deserve the same.",
    remediation:
      'Add nosuid (and nodev) to the mount options of /tmp, /var/tmp, /dev/shm, /home and scratch/parallel file systems (fstab, autofs maps, Lustre/GPFS client options).',
    references: [REF.mount, REF.shifterSecurity],
    recommendedBy: ['CIS Benchmarks (/tmp, /dev/shm, /var/tmp nosuid)', 'Shifter doc/security.rst'],
    examples: [
      { facts: { 'mounts.user_writable_without_nosuid': [] }, expect: 'pass' },
      { facts: { 'mounts.user_writable_without_nosuid': ['/home (nfs4)'] }, expect: 'fail' },
      { facts: {}, expect: 'unknown' },
    ],
  },
  {
    id: 'CS-H002',
    title: 'File systems users write to are mounted nodev',
    severity: 'low',
    check: { fact: 'mounts.user_writable_without_nodev', op: 'empty' },
    affects: ['setuid'],
    rationale:
      'Device nodes unpacked from an image onto a user-writable file system give direct access to hardware unless the mount is nodev.',
    remediation: 'Add nodev to the mount options of the file systems users write to.',
    references: [REF.mount],
    recommendedBy: ['CIS Benchmarks'],
    examples: [
      { facts: { 'mounts.user_writable_without_nodev': [] }, expect: 'pass' },
      { facts: { 'mounts.user_writable_without_nodev': ['/scratch (lustre)'] }, expect: 'fail' },
    ],
  },
  {
    id: 'CS-H003',
    title: 'Subordinate uid ranges do not overlap between users',
    severity: 'high',
    applies: { fact: 'subid.subuid.entries', op: 'gt', value: 0 },
    check: {
      all: [
        { fact: 'subid.subuid.overlaps', op: 'empty' },
        { fact: 'subid.subgid.overlaps', op: 'empty' },
      ],
    },
    affects: ['podman', 'apptainer', 'singularity-ce'],
    rationale:
      "newuidmap/newgidmap map whatever ranges /etc/subuid and /etc/subgid grant; when two users share ids, one can enter the other's containers and files.",
    remediation:
      'Give every user a unique, non-overlapping range (usermod --add-subuids/--add-subgids, or a central subid provider).',
    references: [REF.subuid, REF.podmanRootless],
    recommendedBy: ['Podman rootless tutorial', 'subuid(5)'],
    examples: [
      {
        facts: { 'subid.subuid.entries': 2, 'subid.subuid.overlaps': [], 'subid.subgid.overlaps': [] },
        expect: 'pass',
      },
      {
        facts: {
          'subid.subuid.entries': 2,
          'subid.subuid.overlaps': ['alice and bob'],
          'subid.subgid.overlaps': [],
        },
        expect: 'fail',
      },
      { facts: { 'subid.subuid.entries': 0 }, expect: 'not-applicable' },
    ],
  },
  {
    id: 'CS-H004',
    title: 'Subordinate ranges stay clear of real account ids',
    severity: 'medium',
    applies: { fact: 'subid.subuid.entries', op: 'gt', value: 0 },
    check: {
      all: [
        { fact: 'subid.subuid.low_ranges', op: 'empty' },
        { fact: 'subid.subgid.low_ranges', op: 'empty' },
      ],
    },
    affects: ['podman'],
    rationale:
      'A subordinate range below 65536 can include the uid of a real account; files in a container would then belong to that account on the host.',
    remediation: 'Start subordinate ranges at 100000 or above (the shadow default SUB_UID_MIN).',
    references: [REF.subuid],
    recommendedBy: ['shadow login.defs SUB_UID_MIN default'],
    examples: [
      {
        facts: { 'subid.subuid.entries': 1, 'subid.subuid.low_ranges': [], 'subid.subgid.low_ranges': [] },
        expect: 'pass',
      },
      {
        facts: {
          'subid.subuid.entries': 1,
          'subid.subuid.low_ranges': ['alice'],
          'subid.subgid.low_ranges': [],
        },
        expect: 'fail',
      },
    ],
  },
  {
    id: 'CS-H005',
    title: 'newuidmap and newgidmap can map subordinate ranges',
    severity: 'low',
    applies: { fact: 'runtime.podman.installed', op: 'eq', value: true },
    check: {
      all: [
        {
          any: [
            { fact: 'helper.newuidmap.setuid_root', op: 'eq', value: true },
            { fact: 'helper.newuidmap.caps', op: 'not_empty' },
          ],
        },
        {
          any: [
            { fact: 'helper.newgidmap.setuid_root', op: 'eq', value: true },
            { fact: 'helper.newgidmap.caps', op: 'not_empty' },
          ],
        },
        { fact: 'subid.subuid.entries', op: 'gt', value: 0 },
      ],
    },
    affects: ['podman'],
    rationale:
      'Without privileged newuidmap/newgidmap and a subordinate range per user, rootless Podman falls back to a single-id mapping and images with several owners fail to unpack.',
    remediation:
      'Install uidmap (Debian/Ubuntu) or shadow-utils (RHEL) and give each user a range in /etc/subuid and /etc/subgid (or through SSSD).',
    references: [REF.podmanRootless, REF.subuid],
    recommendedBy: ['Podman rootless tutorial'],
    examples: [
      {
        facts: {
          'runtime.podman.installed': true,
          'helper.newuidmap.setuid_root': true,
          'helper.newgidmap.setuid_root': true,
          'subid.subuid.entries': 3,
        },
        expect: 'pass',
      },
      {
        facts: {
          'runtime.podman.installed': true,
          'helper.newuidmap.setuid_root': false,
          'helper.newuidmap.caps': 'cap_setuid=ep',
          'helper.newgidmap.setuid_root': false,
          'helper.newgidmap.caps': 'cap_setgid=ep',
          'subid.subuid.entries': 3,
        },
        expect: 'pass',
      },
      {
        facts: {
          'runtime.podman.installed': true,
          'helper.newuidmap.setuid_root': true,
          'helper.newgidmap.setuid_root': true,
          'subid.subuid.entries': 0,
        },
        expect: 'fail',
      },
      { facts: { 'runtime.podman.installed': false }, expect: 'not-applicable' },
    ],
  },
  {
    id: 'CS-H006',
    title: 'ctrsafe checks the host, not a container',
    severity: 'high',
    check: { fact: 'container.inside', op: 'eq', value: false },
    affects: ['all'],
    rationale:
      "Inside a container ctrsafe sees the container's files and limits, not the host's: its verdicts would describe the wrong system.",
    remediation: 'Run ctrsafe on the host itself (or check a snapshot of the host with --root).',
    references: [REF.userNamespaces],
    recommendedBy: ['ctrsafe'],
    examples: [
      { facts: { 'container.inside': false }, expect: 'pass' },
      { facts: { 'container.inside': true }, expect: 'fail' },
    ],
  },
  {
    id: 'CS-H007',
    title: 'Rootless Podman has cgroup v2 for resource limits',
    severity: 'info',
    applies: { fact: 'runtime.podman.installed', op: 'eq', value: true },
    check: { fact: 'cgroup.mode', op: 'eq', value: 'v2' },
    affects: [],
    rationale:
      'Rootless containers can only be given CPU, memory and pid limits through delegated cgroup v2; on v1 or hybrid hosts limits are silently not applied.',
    remediation:
      "Boot with the unified cgroup hierarchy (systemd.unified_cgroup_hierarchy=1) where the site's batch system supports it.",
    references: [REF.cgroupV2, REF.podmanCgroups],
    recommendedBy: ['Podman troubleshooting guide'],
    examples: [
      { facts: { 'runtime.podman.installed': true, 'cgroup.mode': 'v2' }, expect: 'pass' },
      { facts: { 'runtime.podman.installed': true, 'cgroup.mode': 'hybrid' }, expect: 'fail' },
    ],
  },
];
