// Runtime configuration rules: apptainer.conf/singularity.conf, Shifter's udiRoot.conf, enroot, Singularity 2.x.
import type { Rule } from '../rule.js';
import { REF } from './references.js';

export const RUNTIME_RULES: Rule[] = [
  {
    id: 'CS-R001',
    title: 'Apptainer runs without setuid where user namespaces work',
    severity: 'medium',
    models: ['userns', 'both'],
    tradeoff: 'The site model is setuid-only: setuid Apptainer is the intended mode here.',
    applies: {
      all: [
        { fact: 'runtime.apptainer.installed', op: 'eq', value: true },
        { fact: 'runtime.apptainer.mode', op: 'eq', value: 'setuid' },
      ],
    },
    check: { fact: 'feature.unprivileged_userns', op: 'ne', value: 'yes' },
    affects: ['apptainer'],
    rationale:
      'Setuid-root Apptainer hands user-supplied images to kernel file system drivers and runs a root-owned starter; when unprivileged user namespaces work, Apptainer recommends running without setuid.',
    remediation: 'Set "allow setuid = no" in apptainer.conf, or remove the apptainer-suid package.',
    references: [REF.apptainerSecurity, REF.apptainerUserns],
    recommendedBy: ['Apptainer admin guide'],
    examples: [
      {
        facts: {
          'runtime.apptainer.installed': true,
          'runtime.apptainer.mode': 'setuid',
          'feature.unprivileged_userns': 'no',
        },
        expect: 'pass',
      },
      {
        facts: {
          'runtime.apptainer.installed': true,
          'runtime.apptainer.mode': 'setuid',
          'feature.unprivileged_userns': 'yes',
        },
        expect: 'fail',
      },
      {
        facts: { 'runtime.apptainer.installed': true, 'runtime.apptainer.mode': 'unprivileged' },
        expect: 'not-applicable',
      },
      { facts: { 'runtime.apptainer.installed': false }, expect: 'not-applicable' },
    ],
  },
  {
    id: 'CS-R002',
    title: 'Setuid Apptainer does not kernel-mount ext3/ext4 images',
    severity: 'high',
    applies: {
      all: [
        { fact: 'runtime.apptainer.installed', op: 'eq', value: true },
        { fact: 'runtime.apptainer.mode', op: 'eq', value: 'setuid' },
      ],
    },
    check: { fact: 'runtime.apptainer.conf.allow setuid-mount extfs', op: 'ne', value: 'yes' },
    affects: ['apptainer'],
    rationale:
      'Kernel ext4 code is not hardened against hostile images; CVE-2023-30549 showed users could reach ext4 bugs through setuid Apptainer. Since 1.1.8 the default is "no".',
    remediation: 'Set "allow setuid-mount extfs = no" in apptainer.conf.',
    references: [REF.cve202330549, REF.apptainerConf],
    recommendedBy: ['Apptainer 1.1.8 release notes', 'EGI SVG'],
    examples: [
      {
        facts: {
          'runtime.apptainer.installed': true,
          'runtime.apptainer.mode': 'setuid',
          'runtime.apptainer.conf.allow setuid-mount extfs': 'no',
        },
        expect: 'pass',
      },
      {
        facts: {
          'runtime.apptainer.installed': true,
          'runtime.apptainer.mode': 'setuid',
          'runtime.apptainer.conf.allow setuid-mount extfs': 'yes',
        },
        expect: 'fail',
      },
    ],
  },
  {
    id: 'CS-R003',
    title: 'Setuid SingularityCE does not kernel-mount ext3/ext4 images',
    severity: 'high',
    applies: {
      all: [
        { fact: 'runtime.singularity-ce.installed', op: 'eq', value: true },
        { fact: 'runtime.singularity-ce.mode', op: 'eq', value: 'setuid' },
      ],
    },
    check: { fact: 'runtime.singularity-ce.conf.allow kernel extfs', op: 'eq', value: 'no' },
    affects: ['singularity-ce'],
    rationale:
      'SingularityCE 3.11.2 added "allow kernel extfs" after CVE-2023-30549 but left it on by default; kernel ext4 code reached through setuid mounts of user images is the exposure.',
    remediation: 'Set "allow kernel extfs = no" in singularity.conf (SingularityCE >= 3.11.2).',
    references: [REF.cve202330549, REF.singularityConf],
    recommendedBy: ['SingularityCE 3.11.2 release notes'],
    examples: [
      {
        facts: {
          'runtime.singularity-ce.installed': true,
          'runtime.singularity-ce.mode': 'setuid',
          'runtime.singularity-ce.conf.allow kernel extfs': 'no',
        },
        expect: 'pass',
      },
      {
        facts: { 'runtime.singularity-ce.installed': true, 'runtime.singularity-ce.mode': 'setuid' },
        expect: 'unknown',
      },
      {
        facts: {
          'runtime.singularity-ce.installed': true,
          'runtime.singularity-ce.mode': 'setuid',
          'runtime.singularity-ce.conf.allow kernel extfs': 'yes',
        },
        expect: 'fail',
      },
    ],
  },
  {
    id: 'CS-R004',
    title: 'Host file systems are not all bound into containers',
    severity: 'medium',
    applies: {
      any: [
        { fact: 'runtime.apptainer.installed', op: 'eq', value: true },
        { fact: 'runtime.singularity-ce.installed', op: 'eq', value: true },
        { fact: 'runtime.singularity.installed', op: 'eq', value: true },
      ],
    },
    check: {
      all: [
        {
          any: [
            { fact: 'runtime.apptainer.conf.mount hostfs', op: 'absent' },
            { fact: 'runtime.apptainer.conf.mount hostfs', op: 'eq', value: 'no' },
          ],
        },
        {
          any: [
            { fact: 'runtime.singularity-ce.conf.mount hostfs', op: 'absent' },
            { fact: 'runtime.singularity-ce.conf.mount hostfs', op: 'eq', value: 'no' },
          ],
        },
        {
          any: [
            { fact: 'runtime.singularity.conf.mount hostfs', op: 'absent' },
            { fact: 'runtime.singularity.conf.mount hostfs', op: 'eq', value: 'no' },
          ],
        },
      ],
    },
    affects: ['apptainer', 'singularity-ce', 'singularity'],
    rationale:
      '"mount hostfs = yes" binds every host file system into every container, including ones the site meant to keep out of containers.',
    remediation: 'Set "mount hostfs = no" and list the needed file systems with "bind path".',
    references: [REF.apptainerConf, REF.singularityConf],
    recommendedBy: ['Apptainer/SingularityCE default configuration'],
    examples: [
      {
        facts: { 'runtime.apptainer.installed': true, 'runtime.apptainer.conf.mount hostfs': 'no' },
        expect: 'pass',
      },
      {
        facts: { 'runtime.apptainer.installed': true, 'runtime.apptainer.conf.mount hostfs': 'yes' },
        expect: 'fail',
      },
      {
        facts: {
          'runtime.apptainer.installed': false,
          'runtime.singularity-ce.installed': false,
          'runtime.singularity.installed': false,
        },
        expect: 'not-applicable',
      },
    ],
  },
  {
    id: 'CS-R005',
    title: 'Singularity 2.x is not in use',
    severity: 'high',
    applies: { fact: 'runtime.singularity.installed', op: 'eq', value: true },
    check: { fact: 'runtime.singularity.version', op: 'version_gte', value: '3' },
    affects: ['singularity'],
    rationale:
      'Singularity 2.x ended with 2.6.1 in 2018 and gets no fixes; its setuid helpers carry the overlay and image-mount flaws fixed only in 3.x and its successors.',
    remediation:
      'Replace Singularity 2.x with Apptainer (unprivileged mode where user namespaces work) or SingularityCE.',
    references: [REF.singularity25, REF.egiSvg],
    recommendedBy: ['EGI SVG', 'Sylabs/Apptainer end-of-life notices'],
    examples: [
      {
        facts: { 'runtime.singularity.installed': true, 'runtime.singularity.version': '3.7.4' },
        expect: 'pass',
      },
      {
        facts: { 'runtime.singularity.installed': true, 'runtime.singularity.version': '2.6.1-dist' },
        expect: 'fail',
      },
      { facts: { 'runtime.singularity.installed': true }, expect: 'unknown' },
    ],
  },
  {
    id: 'CS-R006',
    title: 'Shifter does not allow local chroots',
    severity: 'medium',
    applies: { fact: 'runtime.shifter.installed', op: 'eq', value: true },
    check: {
      any: [
        { fact: 'runtime.shifter.conf.allowlocalchroot', op: 'absent' },
        { fact: 'runtime.shifter.conf.allowlocalchroot', op: 'eq', value: '0' },
      ],
    },
    affects: ['shifter'],
    rationale:
      'allowLocalChroot lets users point the setuid shifter binary at any directory as an image root, bypassing the image gateway that vets and squashes images.',
    remediation: 'Set allowLocalChroot=0 in udiRoot.conf.',
    references: [REF.shifterSecurity],
    recommendedBy: ['Shifter udiRoot.conf documentation'],
    examples: [
      {
        facts: { 'runtime.shifter.installed': true, 'runtime.shifter.conf.allowlocalchroot': '0' },
        expect: 'pass',
      },
      {
        facts: { 'runtime.shifter.installed': true, 'runtime.shifter.conf.allowlocalchroot': '1' },
        expect: 'fail',
      },
    ],
  },
  {
    id: 'CS-R007',
    title: 'Shifter image store is not writable by users',
    severity: 'high',
    applies: { fact: 'runtime.shifter.installed', op: 'eq', value: true },
    check: { fact: 'runtime.shifter.image_path_user_writable', op: 'eq', value: false },
    affects: ['shifter'],
    rationale:
      "Shifter loop-mounts image files with the kernel squashfs driver as root; a user who can write an image file can feed the kernel a crafted file system. Shifter's security notes require images never to be user-writable.",
    remediation:
      'Make imagePath and the image files owned by root (or the gateway account) and not group- or world-writable.',
    references: [REF.shifterSecurity],
    recommendedBy: ['Shifter doc/security.rst'],
    examples: [
      {
        facts: { 'runtime.shifter.installed': true, 'runtime.shifter.image_path_user_writable': false },
        expect: 'pass',
      },
      {
        facts: { 'runtime.shifter.installed': true, 'runtime.shifter.image_path_user_writable': true },
        expect: 'fail',
      },
      { facts: { 'runtime.shifter.installed': true }, expect: 'unknown' },
    ],
  },
  {
    id: 'CS-R008',
    title: 'Runtime configuration files are root-owned and not writable by others',
    severity: 'high',
    check: { fact: 'runtime.config_files_unsafe', op: 'empty' },
    affects: ['setuid'],
    rationale:
      'Whoever can write apptainer.conf, singularity.conf or udiRoot.conf controls what a setuid-root program mounts and allows.',
    remediation:
      'chown root:root and chmod 0644 (or stricter) the runtime configuration files and their directories.',
    references: [REF.apptainerConf, REF.shifterSecurity],
    recommendedBy: [
      'Apptainer (refuses a non-root-owned config in setuid mode)',
      'Shifter (udiRoot.conf must be root-owned)',
    ],
    examples: [
      { facts: { 'runtime.config_files_unsafe': [] }, expect: 'pass' },
      { facts: { 'runtime.config_files_unsafe': ['/etc/udiRoot.conf (mode 0666, uid 0)'] }, expect: 'fail' },
    ],
  },
  {
    id: 'CS-R009',
    title: 'enroot helpers do not hold CAP_SYS_ADMIN',
    severity: 'low',
    applies: { fact: 'runtime.enroot.installed', op: 'eq', value: true },
    check: {
      all: [
        {
          any: [
            { fact: 'helper.enroot-mksquashovlfs.caps', op: 'empty' },
            { fact: 'helper.enroot-mksquashovlfs.path', op: 'absent' },
          ],
        },
        {
          any: [
            { fact: 'helper.enroot-aufs2ovlfs.caps', op: 'empty' },
            { fact: 'helper.enroot-aufs2ovlfs.path', op: 'absent' },
          ],
        },
      ],
    },
    affects: ['enroot'],
    rationale:
      'The enroot+caps packages give enroot-mksquashovlfs and enroot-aufs2ovlfs CAP_SYS_ADMIN so users can import images without unprivileged overlayfs; those helpers become privileged attack surface.',
    remediation:
      'Install the plain enroot package where the kernel supports overlayfs in user namespaces (>= 5.11).',
    references: [REF.enrootInstall],
    recommendedBy: ['enroot installation guide'],
    examples: [
      {
        facts: {
          'runtime.enroot.installed': true,
          'helper.enroot-mksquashovlfs.caps': null,
          'helper.enroot-aufs2ovlfs.caps': null,
        },
        expect: 'pass',
      },
      {
        facts: {
          'runtime.enroot.installed': true,
          'helper.enroot-mksquashovlfs.path': '/usr/bin/enroot-mksquashovlfs',
          'helper.enroot-mksquashovlfs.caps': 'cap_sys_admin=ep',
        },
        expect: 'fail',
      },
      { facts: { 'runtime.enroot.installed': true }, expect: 'pass' },
    ],
  },
];
