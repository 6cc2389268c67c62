// Where things live: install paths, config files and package names of each runtime and helper (no judgement here).

import { RUNTIME_IDS, type RuntimeId } from '../schema/report-values.js';

export { RUNTIME_IDS, type RuntimeId };
const PREFIXES = ['/usr', '/usr/local'];
const bins = (name: string, extra: string[] = []) => [
  ...PREFIXES.map((p) => `${p}/bin/${name}`),
  `/bin/${name}`,
  ...extra,
];

/** Helpers whose setuid bit or file capabilities decide what a runtime can do, and what it risks. */
export const HELPERS: Record<string, string[]> = {
  newuidmap: bins('newuidmap'),
  newgidmap: bins('newgidmap'),
  fusermount: bins('fusermount'),
  fusermount3: bins('fusermount3'),
  bwrap: bins('bwrap'),
  'ch-run': bins('ch-run'),
  // Apptainer >= 1.1 ships starter-suid only in the optional apptainer-suid package (Apptainer admin guide, "Installation").
  'apptainer-starter-suid': [...PREFIXES, '/opt/apptainer'].map(
    (p) => `${p}/libexec/apptainer/bin/starter-suid`,
  ),
  // Singularity 3.x and SingularityCE RPMs install starter-suid 4755 root (dist/rpm/singularity-ce.spec.in).
  'singularity-starter-suid': [...PREFIXES, '/opt/singularity'].map(
    (p) => `${p}/libexec/singularity/bin/starter-suid`,
  ),
  // Singularity 2.x: action-suid, start-suid, mount-suid (singularity.spec.in, 2.x).
  'singularity2-action-suid': PREFIXES.map((p) => `${p}/libexec/singularity/bin/action-suid`),
  'singularity2-mount-suid': PREFIXES.map((p) => `${p}/libexec/singularity/bin/mount-suid`),
  'singularity2-start-suid': PREFIXES.map((p) => `${p}/libexec/singularity/bin/start-suid`),
  // Shifter: "%attr(4755, root, root) %{_bindir}/shifter" (NERSC/shifter shifter.spec).
  shifter: bins('shifter', ['/opt/shifter/bin/shifter', '/opt/shifter/udiRoot/bin/shifter']),
  // Sarus: root-owned setuid binary set by configure_installation.sh (Sarus post-installation docs).
  sarus: bins('sarus', ['/opt/sarus/bin/sarus', '/opt/sarus/default/bin/sarus']),
  // enroot+caps packages give these cap_sys_admin (NVIDIA/enroot doc/installation.md).
  'enroot-mksquashovlfs': bins('enroot-mksquashovlfs'),
  'enroot-aufs2ovlfs': bins('enroot-aufs2ovlfs'),
};

export interface RuntimeLocation {
  id: RuntimeId;
  name: string;
  binaries: string[];
  versionArgs: string[];
  /** Matches the first line of the version output; group 1 is the version. */
  versionPattern: RegExp;
  configs: string[];
  configStyle: 'equals' | 'enroot' | 'json' | 'none';
  packages: string[];
  /** Helper keys (HELPERS) whose setuid bit turns on setuid mode. */
  setuidHelpers: string[];
  defaultMode: 'setuid' | 'unprivileged';
  defaultModeSource: string;
}

const SING_CONF = [
  '/etc/singularity/singularity.conf',
  '/usr/local/etc/singularity/singularity.conf',
  '/opt/singularity/etc/singularity/singularity.conf',
];

export const RUNTIMES: Record<RuntimeId, RuntimeLocation> = {
  singularity: {
    id: 'singularity',
    name: 'Singularity (2.x, 3.x before the fork)',
    binaries: bins('singularity', ['/opt/singularity/bin/singularity']),
    versionArgs: ['--version'],
    // 2.x prints a bare "2.6.1-dist"; 3.x prints "singularity version 3.7.4" (cobra template).
    versionPattern: /^(?:singularity version )?(\d+\.\d+[\w.+~-]*)\s*$/,
    configs: SING_CONF,
    configStyle: 'equals',
    packages: ['singularity', 'singularity-runtime', 'singularity-container'],
    setuidHelpers: [
      'singularity-starter-suid',
      'singularity2-action-suid',
      'singularity2-start-suid',
      'singularity2-mount-suid',
    ],
    defaultMode: 'setuid',
    defaultModeSource: 'Singularity RPMs install starter-suid (3.x) or *-suid helpers (2.x) setuid root',
  },
  'singularity-ce': {
    id: 'singularity-ce',
    name: 'SingularityCE',
    binaries: bins('singularity', ['/opt/singularity/bin/singularity']),
    versionArgs: ['--version'],
    versionPattern: /^singularity-ce version (\S+)/,
    configs: SING_CONF,
    configStyle: 'equals',
    packages: ['singularity-ce'],
    setuidHelpers: ['singularity-starter-suid'],
    defaultMode: 'setuid',
    defaultModeSource:
      'SingularityCE RPM/DEB packages install starter-suid 4755 root (dist/rpm/singularity-ce.spec.in)',
  },
  apptainer: {
    id: 'apptainer',
    name: 'Apptainer',
    binaries: bins('apptainer', ['/opt/apptainer/bin/apptainer']),
    versionArgs: ['--version'],
    versionPattern: /^apptainer version (\S+)/,
    configs: [
      '/etc/apptainer/apptainer.conf',
      '/usr/local/etc/apptainer/apptainer.conf',
      '/opt/apptainer/etc/apptainer/apptainer.conf',
    ],
    configStyle: 'equals',
    packages: ['apptainer', 'apptainer-suid'],
    setuidHelpers: ['apptainer-starter-suid'],
    defaultMode: 'unprivileged',
    defaultModeSource:
      'Apptainer >= 1.1.0 installs without setuid; starter-suid only comes with apptainer-suid (Apptainer admin guide)',
  },
  shifter: {
    id: 'shifter',
    name: 'Shifter',
    binaries: HELPERS.shifter!,
    versionArgs: [],
    versionPattern: /(\d+\.\d+\.\d+)/,
    configs: [
      '/etc/udiRoot.conf',
      '/etc/shifter/udiRoot.conf',
      '/usr/local/etc/udiRoot.conf',
      '/opt/shifter/udiRoot/etc/udiRoot.conf',
    ],
    configStyle: 'equals',
    packages: ['shifter-runtime', 'shifter'],
    setuidHelpers: ['shifter'],
    defaultMode: 'setuid',
    defaultModeSource: 'shifter is installed setuid root (NERSC/shifter shifter.spec, doc/security.rst)',
  },
  charliecloud: {
    id: 'charliecloud',
    name: 'Charliecloud',
    binaries: HELPERS['ch-run']!,
    versionArgs: ['--version'],
    versionPattern: /^(\d+\.\d+[\w.+~-]*)/,
    configs: [],
    configStyle: 'none',
    packages: ['charliecloud-runtime', 'charliecloud'],
    setuidHelpers: [],
    defaultMode: 'unprivileged',
    defaultModeSource:
      'ch-run uses unprivileged user namespaces and refuses to run setuid (Charliecloud install.rst, bin/ch-run.c)',
  },
  podman: {
    id: 'podman',
    name: 'Podman (rootless)',
    binaries: bins('podman'),
    versionArgs: ['--version'],
    versionPattern: /^podman version (\S+)/,
    configs: [
      '/etc/containers/storage.conf',
      '/etc/containers/containers.conf',
      '/usr/share/containers/containers.conf',
    ],
    configStyle: 'none',
    packages: ['podman'],
    setuidHelpers: [],
    defaultMode: 'unprivileged',
    defaultModeSource:
      'rootless Podman is not setuid (containers/podman docs/tutorials/rootless_tutorial.md)',
  },
  enroot: {
    id: 'enroot',
    name: 'enroot',
    binaries: bins('enroot'),
    versionArgs: ['version'],
    versionPattern: /^(\d+\.\d+[\w.+~-]*)/,
    configs: ['/etc/enroot/enroot.conf', '/usr/local/etc/enroot/enroot.conf'],
    configStyle: 'enroot',
    packages: ['enroot', 'enroot+caps', 'enroot-hardened', 'enroot-hardened+caps'],
    setuidHelpers: [],
    defaultMode: 'unprivileged',
    defaultModeSource: 'enroot runs in unprivileged user namespaces (NVIDIA/enroot doc/requirements.md)',
  },
  sarus: {
    id: 'sarus',
    name: 'Sarus',
    binaries: HELPERS.sarus!,
    versionArgs: ['--version'],
    versionPattern: /(\d+\.\d+\.\d+[\w.+~-]*)/,
    configs: [
      '/opt/sarus/etc/sarus.json',
      '/opt/sarus/default/etc/sarus.json',
      '/usr/local/etc/sarus.json',
      '/etc/sarus.json',
    ],
    configStyle: 'json',
    packages: ['sarus'],
    setuidHelpers: ['sarus'],
    defaultMode: 'setuid',
    defaultModeSource:
      'Sarus is installed as a root-owned setuid binary (Sarus docs, install/post-installation.rst)',
  },
};
