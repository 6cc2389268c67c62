// More runtime configuration rules, key by key: container limits, setuid squashfs mounts, Shifter, Sarus, enroot.
import type { Condition, Rule } from '../rule.js';
import { REF } from './references.js';

/** A key that is present and set to something other than the placeholder "NULL". */
const setKey = (fact: string): Condition => ({
  all: [
    { fact, op: 'exists' },
    { fact, op: 'not_in', value: ['null', 'NULL', ''] },
  ],
});

const limitsSet = (rt: string): Condition => ({
  any: ['owners', 'groups', 'paths'].map((k) => setKey(`runtime.${rt}.conf.limit container ${k}`)),
});

function limitsRule(id: string, rt: 'apptainer' | 'singularity-ce', name: string): Rule {
  return {
    id,
    title: `${name} container limits are enforceable`,
    severity: 'medium',
    applies: { all: [{ fact: `runtime.${rt}.installed`, op: 'eq', value: true }, limitsSet(rt)] },
    check: {
      all: [
        { fact: `runtime.${rt}.mode`, op: 'eq', value: 'setuid' },
        { fact: 'feature.unprivileged_userns', op: 'eq', value: 'no' },
      ],
    },
    affects: [rt],
    rationale: `"limit container owners/groups/paths" are enforced only by the setuid starter. Where users can create user namespaces they can run any image without ${name}'s setuid path (or with another runtime), so the limits are advice, not policy.`,
    remediation:
      'Either run setuid-only with unprivileged user namespaces disabled, or enforce image policy elsewhere (ctrsafe image gate, execution control lists with signatures).',
    references: [rt === 'apptainer' ? REF.apptainerConf : REF.singularityConf, REF.apptainerSecurity],
    recommendedBy: [`${name} configuration file documentation`],
    examples: [
      {
        facts: {
          [`runtime.${rt}.installed`]: true,
          [`runtime.${rt}.conf.limit container paths`]: '/cvmfs',
          [`runtime.${rt}.mode`]: 'setuid',
          'feature.unprivileged_userns': 'no',
        },
        expect: 'pass',
      },
      {
        facts: {
          [`runtime.${rt}.installed`]: true,
          [`runtime.${rt}.conf.limit container owners`]: 'root',
          [`runtime.${rt}.mode`]: 'unprivileged',
        },
        expect: 'fail',
      },
      {
        facts: { [`runtime.${rt}.installed`]: true, [`runtime.${rt}.conf.limit container owners`]: 'NULL' },
        expect: 'not-applicable',
      },
    ],
  };
}

export const RUNTIME_CONFIG_RULES: Rule[] = [
  limitsRule('CS-R010', 'apptainer', 'Apptainer'),
  limitsRule('CS-R011', 'singularity-ce', 'SingularityCE'),
  {
    id: 'CS-R012',
    title: 'Setuid Apptainer mounts squashfs with the kernel only when images are limited',
    severity: 'medium',
    applies: {
      all: [
        { fact: 'runtime.apptainer.installed', op: 'eq', value: true },
        { fact: 'runtime.apptainer.mode', op: 'eq', value: 'setuid' },
      ],
    },
    check: {
      any: [
        { fact: 'runtime.apptainer.conf.allow setuid-mount squashfs', op: 'absent' },
        { fact: 'runtime.apptainer.conf.allow setuid-mount squashfs', op: 'in', value: ['no', 'iflimited'] },
      ],
    },
    affects: ['apptainer'],
    rationale:
      'In setuid mode Apptainer can hand a user-supplied squashfs image to the kernel driver as root. Since 1.3.0 the default "iflimited" does so only when container limits or an ECL restrict which images run; "yes" does it for any image.',
    remediation: 'Set "allow setuid-mount squashfs = iflimited" (or "no", so squashfuse is used).',
    references: [REF.apptainerConf, REF.cve202330549],
    recommendedBy: ['Apptainer 1.3.0 default configuration'],
    examples: [
      {
        facts: {
          'runtime.apptainer.installed': true,
          'runtime.apptainer.mode': 'setuid',
          'runtime.apptainer.conf.allow setuid-mount squashfs': 'iflimited',
        },
        expect: 'pass',
      },
      {
        facts: {
          'runtime.apptainer.installed': true,
          'runtime.apptainer.mode': 'setuid',
          'runtime.apptainer.conf.allow setuid-mount squashfs': 'yes',
        },
        expect: 'fail',
      },
    ],
  },
  {
    id: 'CS-R013',
    title: 'Shifter does not load kernel modules',
    severity: 'low',
    applies: { fact: 'runtime.shifter.installed', op: 'eq', value: true },
    check: {
      any: [
        { fact: 'runtime.shifter.conf.autoloadkernelmodule', op: 'absent' },
        { fact: 'runtime.shifter.conf.autoloadkernelmodule', op: 'eq', value: '0' },
      ],
    },
    affects: ['shifter'],
    rationale:
      'With autoLoadKernelModule=1 the setuid shifter binary runs insmod/modprobe as root on behalf of users; loading loop, squashfs and overlay at boot keeps that power out of a setuid program.',
    remediation:
      'Load the needed modules at boot (modules-load.d) and set autoLoadKernelModule=0 in udiRoot.conf.',
    references: [REF.shifterSecurity],
    recommendedBy: ['Shifter udiRoot.conf documentation'],
    examples: [
      {
        facts: { 'runtime.shifter.installed': true, 'runtime.shifter.conf.autoloadkernelmodule': '0' },
        expect: 'pass',
      },
      {
        facts: { 'runtime.shifter.installed': true, 'runtime.shifter.conf.autoloadkernelmodule': '1' },
        expect: 'fail',
      },
    ],
  },
  {
    id: 'CS-R014',
    title: 'Sarus security checks are on',
    severity: 'high',
    applies: { fact: 'runtime.sarus.installed', op: 'eq', value: true },
    check: {
      any: [
        { fact: 'runtime.sarus.conf.securitychecks', op: 'absent' },
        { fact: 'runtime.sarus.conf.securitychecks', op: 'eq', value: 'true' },
      ],
    },
    affects: ['sarus'],
    rationale:
      'With securityChecks the setuid sarus binary verifies that its configuration, hooks, init and runc are root-owned and not writable by others before running them as root; turning them off is meant for test installations only.',
    remediation: 'Set "securityChecks": true in sarus.json.',
    references: [REF.sarusRequirements],
    recommendedBy: ['Sarus configuration reference'],
    examples: [
      {
        facts: { 'runtime.sarus.installed': true, 'runtime.sarus.conf.securitychecks': 'true' },
        expect: 'pass',
      },
      {
        facts: { 'runtime.sarus.installed': true, 'runtime.sarus.conf.securitychecks': 'false' },
        expect: 'fail',
      },
    ],
  },
  {
    id: 'CS-R015',
    title: 'enroot does not let root keep its privileges in containers',
    severity: 'medium',
    applies: { fact: 'runtime.enroot.installed', op: 'eq', value: true },
    check: {
      any: [
        { fact: 'runtime.enroot.conf.enroot_allow_superuser', op: 'absent' },
        { fact: 'runtime.enroot.conf.enroot_allow_superuser', op: 'in', value: ['no', 'n', 'false', '0'] },
      ],
    },
    affects: ['enroot'],
    rationale:
      'ENROOT_ALLOW_SUPERUSER lets a real root user keep superuser privileges inside enroot containers; the default is off.',
    remediation: 'Remove ENROOT_ALLOW_SUPERUSER from enroot.conf or set it to no.',
    references: [REF.enrootInstall],
    recommendedBy: ['enroot configuration defaults'],
    examples: [
      { facts: { 'runtime.enroot.installed': true }, expect: 'pass' },
      {
        facts: { 'runtime.enroot.installed': true, 'runtime.enroot.conf.enroot_allow_superuser': 'yes' },
        expect: 'fail',
      },
    ],
  },
  {
    id: 'CS-R016',
    title: 'Shifter siteFs mounts do not carry the host\'s mount flags in (no ":rec" or ":shared")',
    severity: 'high',
    applies: { fact: 'runtime.shifter.installed', op: 'eq', value: true },
    check: { fact: 'runtime.shifter.sitefs_host_flags', op: 'empty' },
    affects: ['shifter'],
    rationale:
      'Shifter remounts its siteFs bind mounts nosuid so that no setuid file reaches a container. With the ":rec" flag the recursive bind copies the host\'s own mount flags, and ":shared" propagation takes the mounts out of Shifter\'s control: the one exception to its nosuid rule that Shifter\'s security document names. A node with such an entry is not nosuid-safe, whatever the rest of udiRoot.conf says.',
    remediation:
      'Drop ":rec" and ":shared" from siteFs (and module_<name>_siteFs) entries, bind each needed sub-mount as its own entry, or make sure every host mount below them is nosuid,nodev.',
    references: [REF.shifterSecurity, REF.shifterVolumeMap],
    recommendedBy: ['Shifter doc/security.rst'],
    examples: [
      {
        facts: { 'runtime.shifter.installed': true, 'runtime.shifter.sitefs_host_flags': [] },
        expect: 'pass',
      },
      {
        facts: {
          'runtime.shifter.installed': true,
          'runtime.shifter.sitefs_host_flags': ['sitefs: /var/opt/cray:/var/opt/cray:rec'],
        },
        expect: 'fail',
      },
      { facts: { 'runtime.shifter.installed': true }, expect: 'unknown' },
    ],
  },
  {
    id: 'CS-R017',
    title: 'Shifter does not run the container sshd as root',
    severity: 'high',
    applies: { fact: 'runtime.shifter.installed', op: 'eq', value: true },
    check: {
      any: [
        { fact: 'runtime.shifter.conf.optionalsshdasroot', op: 'absent' },
        { fact: 'runtime.shifter.conf.optionalsshdasroot', op: 'eq', value: '0' },
        { fact: 'runtime.shifter.version', op: 'version_gte', value: '18.03.0' },
      ],
    },
    affects: ['shifter'],
    rationale:
      'optionalSshdAsRoot=1 makes Shifter 16.08.3 to 17.x start the sshd bundled in the image as root instead of as the user, inside a container whose files the user chose. Shifter 18.03.0 dropped the option and ignores it; on older releases it hands root to whoever can reach that sshd.',
    remediation:
      'Remove optionalSshdAsRoot from udiRoot.conf (or set it to 0), and upgrade Shifter to 18.03.0 or later.',
    references: [REF.shifterSshdAsRoot, REF.shifterSshdAsRootDropped],
    recommendedBy: ['NERSC Shifter (default off, removed in 18.03.0)'],
    examples: [
      { facts: { 'runtime.shifter.installed': true }, expect: 'pass' },
      {
        facts: {
          'runtime.shifter.installed': true,
          'runtime.shifter.conf.optionalsshdasroot': '1',
          'runtime.shifter.version': '22.02.1',
        },
        expect: 'pass',
      },
      {
        facts: {
          'runtime.shifter.installed': true,
          'runtime.shifter.conf.optionalsshdasroot': '1',
          'runtime.shifter.version': '16.08.3',
        },
        expect: 'fail',
      },
      {
        facts: { 'runtime.shifter.installed': true, 'runtime.shifter.conf.optionalsshdasroot': '1' },
        expect: 'unknown',
      },
    ],
  },
];
