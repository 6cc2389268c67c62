// Where things live in the OSV world: which ecosystem/package names are which runtime, component or kernel (data).

/** [ecosystem prefix, package name or prefix ("*" suffix), targets]. */
const TABLE: [string, string, string[]][] = [
  ['Go', 'github.com/apptainer/apptainer', ['apptainer']],
  ['Go', 'github.com/hpcng/singularity', ['singularity']],
  // Sylabs' module carries Singularity 3.0-3.7 and SingularityCE 3.8+: the installed version decides which ranges apply.
  ['Go', 'github.com/sylabs/singularity*', ['singularity', 'singularity-ce']],
  ['Go', 'github.com/opencontainers/runc', ['runc']],
  ['Go', 'github.com/containers/podman*', ['podman']],
  ['Go', 'github.com/containers/libpod', ['podman']],
  ['Go', 'github.com/NVIDIA/nvidia-container-toolkit', ['nvidia-container-toolkit']],
  ['Linux', 'Kernel', ['kernel']],
  ['Debian', 'linux', ['kernel']],
  ['Ubuntu', 'linux', ['kernel']],
  ['Red Hat', 'kernel', ['kernel']],
  ['AlmaLinux', 'kernel', ['kernel']],
  ['Rocky Linux', 'kernel', ['kernel']],
  ['SUSE', 'kernel-default', ['kernel']],
  ['Debian', 'singularity-container', ['singularity']],
  ['Debian', 'podman', ['podman']],
  ['Ubuntu', 'podman', ['podman']],
  ['Red Hat', 'podman', ['podman']],
  ['AlmaLinux', 'podman', ['podman']],
  ['Rocky Linux', 'podman', ['podman']],
  ['Debian', 'runc', ['runc']],
  ['Ubuntu', 'runc', ['runc']],
  ['Red Hat', 'runc', ['runc']],
  ['Debian', 'crun', ['crun']],
  ['Red Hat', 'crun', ['crun']],
  ['Debian', 'charliecloud', ['charliecloud']],
  ['Debian', 'shadow', ['newuidmap']],
  ['Ubuntu', 'shadow', ['newuidmap']],
  ['Red Hat', 'shadow-utils', ['newuidmap']],
  ['Debian', 'fuse3', ['fusermount3']],
  ['Red Hat', 'apptainer', ['apptainer']],
];

export function targetsFor(ecosystem: string, name: string): string[] {
  const eco = ecosystem.split(':')[0]!;
  for (const [e, n, targets] of TABLE) {
    if (e !== eco) continue;
    if (n.endsWith('*') ? name.startsWith(n.slice(0, -1)) : name === n) return targets;
  }
  return [];
}
