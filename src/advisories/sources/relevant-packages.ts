// Which distribution packages the distribution data keeps (issue 12: kernels, container runtimes and their helpers),
// and the source package a binary RPM comes from (records of RPM distributions list binaries).

/** Ubuntu kernel source packages: linux and its flavours (linux-hwe-5.15, linux-aws-6.8, linux-nvidia-lowlatency). */
const UBUNTU_KERNEL = /^linux(-(hwe|aws|azure|gcp|oracle|lowlatency|nvidia|oem|kvm|ibm)([.-][a-z0-9.]+)*)?$/;
/** Packages built from those sources that are not the kernel itself, or source packages that only wrap one. */
const NOT_A_KERNEL = /-(modules|tools|signed|meta|restricted|firmware|headers|source|doc|libc)(-|$)/;

const RUNTIME_SOURCES = new Set([
  'apptainer',
  'singularity-ce',
  'singularity-container',
  'runc',
  'runc-app',
  'crun',
  'podman',
  'libpod',
  'conmon',
  'fuse-overlayfs',
  'shadow',
  'shadow-utils',
  'fuse3',
  'nvidia-container-toolkit',
  'libnvidia-container',
  'enroot',
  'charliecloud',
  'bubblewrap',
  'slirp4netns',
  'containerd',
  'containerd-app',
]);

/** RHEL-family kernel sources: kernel (and, through RHEL 9.2, kernel-rt). SUSE's are named for their flavour. */
const RPM_KERNEL_SOURCES = new Set([
  'kernel',
  'kernel-rt',
  'kernel-alt',
  'kernel-default',
  'kernel-azure',
  'kernel-64kb',
  'kernel-rt-default',
]);

export function isKernelSourcePackage(name: string): boolean {
  return RPM_KERNEL_SOURCES.has(name) || (UBUNTU_KERNEL.test(name) && !NOT_A_KERNEL.test(name));
}

/** A source package the distribution data keeps rows for. */
export function isRelevantSourcePackage(name: string): boolean {
  return isKernelSourcePackage(name) || RUNTIME_SOURCES.has(name);
}

/**
 * The package a RHEL-family binary RPM is reported under: kernel-core, kernel-modules-extra, kernel-tools-libs-devel
 * (AlmaLinux's 2021-22 records list only that one, with the kernel's NVR) → kernel; kernel-rt-core → kernel-rt
 * (its own source through RHEL 9.2, a subpackage of kernel since 9.3: hosts report kernel-rt either way);
 * podman-remote → podman; shadow-utils-subid → shadow-utils. null for packages the data does not keep.
 */
export function rpmSourceOf(binary: string): string | null {
  if (binary === 'kernel-rpm-macros') return null; // its own source package, not the kernel
  if (/^kernel-rt(-|$)/.test(binary)) return 'kernel-rt';
  // RHEL 7's kernel for POWER9 and ARM (4.14, "el7a") is its own source package.
  if (/^kernel-alt(-|$)/.test(binary)) return 'kernel-alt';
  if (/^kernel(-|$)/.test(binary)) return 'kernel';
  for (const family of ['podman', 'shadow-utils', 'fuse3', 'crun', 'apptainer', 'nvidia-container-toolkit'])
    if (binary === family || binary.startsWith(`${family}-`)) return family;
  if (/^libnvidia-container(\d|-tools|$)/.test(binary)) return 'libnvidia-container';
  return RUNTIME_SOURCES.has(binary) ? binary : null;
}

/**
 * SUSE names packages by binary: the kernel flavours are kept under their own names (kernel-default is what a
 * SLES node reports), the runtimes under their source names.
 */
export function susePackageOf(binary: string): string | null {
  if (RPM_KERNEL_SOURCES.has(binary) && binary !== 'kernel' && binary !== 'kernel-rt') return binary;
  if (binary === 'kernel-rt') return 'kernel-rt';
  return RUNTIME_SOURCES.has(binary) ? binary : null;
}

/** ctrsafe_target (docs/advisory-format.md) → the package families that carry it in distributions. */
const TARGET_FAMILY: Record<string, string> = {
  kernel: 'kernel',
  runc: 'runc',
  crun: 'crun',
  podman: 'podman',
  singularity: 'singularity',
  'singularity-ce': 'singularity',
  apptainer: 'apptainer',
  newuidmap: 'shadow',
  fusermount3: 'fuse3',
  'nvidia-container-toolkit': 'nvidia-container-toolkit',
  charliecloud: 'charliecloud',
  enroot: 'enroot',
};

/** The family of a kept package: the one a record's ctrsafe_target names (kernel, runc, podman, shadow ...). */
export function packageFamily(pkg: string): string {
  if (isKernelSourcePackage(pkg)) return 'kernel';
  if (pkg === 'runc-app') return 'runc';
  if (pkg === 'libpod') return 'podman';
  if (pkg === 'singularity-ce' || pkg === 'singularity-container') return 'singularity';
  if (pkg === 'shadow-utils') return 'shadow';
  if (pkg === 'libnvidia-container') return 'nvidia-container-toolkit';
  if (pkg === 'containerd-app') return 'containerd';
  return pkg;
}

export function targetFamily(target: string): string | undefined {
  return TARGET_FAMILY[target];
}
