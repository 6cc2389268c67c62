// Where the components that advisories name live: OCI runtimes, shadow's id mappers, FUSE, NVIDIA's toolkit.

export interface Component {
  id: string;
  binaries: string[];
  versionArgs: string[];
  versionPattern: RegExp;
  packages: string[];
  /** Runtimes whose risk this component's flaws raise. */
  usedBy: string[];
}

export const COMPONENTS: Component[] = [
  {
    id: 'runc',
    binaries: ['/usr/bin/runc', '/usr/sbin/runc', '/usr/local/bin/runc', '/usr/local/sbin/runc'],
    versionArgs: ['--version'],
    versionPattern: /^runc version (\S+)/,
    packages: ['runc'],
    usedBy: ['podman', 'sarus', 'singularity-ce'],
  },
  {
    id: 'crun',
    binaries: ['/usr/bin/crun', '/usr/local/bin/crun'],
    versionArgs: ['--version'],
    versionPattern: /^crun version (\S+)/,
    packages: ['crun'],
    usedBy: ['podman', 'singularity-ce'],
  },
  {
    id: 'newuidmap',
    binaries: ['/usr/bin/newuidmap'],
    versionArgs: [],
    versionPattern: /$^/,
    packages: ['uidmap', 'shadow-utils', 'shadow'],
    usedBy: ['podman', 'apptainer', 'singularity-ce'],
  },
  {
    id: 'fusermount3',
    binaries: ['/usr/bin/fusermount3', '/bin/fusermount3'],
    versionArgs: [],
    versionPattern: /$^/,
    packages: ['fuse3'],
    usedBy: ['apptainer', 'charliecloud', 'podman'],
  },
  {
    id: 'nvidia-container-toolkit',
    binaries: ['/usr/bin/nvidia-container-cli', '/usr/bin/nvidia-container-toolkit'],
    versionArgs: [],
    versionPattern: /$^/,
    packages: ['nvidia-container-toolkit', 'libnvidia-container-tools', 'nvidia-container-toolkit-base'],
    usedBy: ['enroot', 'podman', 'apptainer', 'singularity-ce'],
  },
];
