// Shared references the rules cite, one place so a moved page is fixed once.
import type { Reference } from '../rule.js';

export const REF = {
  nvidiaToolkitLdconfig: {
    title:
      'NVIDIA Container Toolkit 1.17.3 (PR #812, backport of #690): only host-relative ldconfig paths (starting with "@") by default; features.allow-ldconfig-from-container restores container paths',
    url: 'https://github.com/NVIDIA/nvidia-container-toolkit/pull/812',
  },
  nvidiaToolkitReleaseNotes: {
    title:
      'NVIDIA Container Toolkit release notes (1.17.3: host-relative ldconfig paths; 1.17.4: CUDA compat libraries from the container disabled by default)',
    url: 'https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/release-notes.html',
  },
  nvidiaToolkitConfig: {
    title:
      'nvidia-container-toolkit internal/config/config.go: accept-nvidia-visible-devices-envvar-when-unprivileged (default true) and accept-nvidia-visible-devices-as-volume-mounts',
    url: 'https://github.com/NVIDIA/nvidia-container-toolkit/blob/main/internal/config/config.go',
  },
  nvidiaToolkit1174: {
    title:
      'NVIDIA Container Toolkit v1.17.4 CHANGELOG: mounting CUDA compat libraries from the container disabled by default (the fix of CVE-2025-23359, advisories/CVE-2025-23359.json)',
    url: 'https://github.com/NVIDIA/nvidia-container-toolkit/blob/v1.17.4/CHANGELOG.md',
  },
  openMpiOpenFabrics: {
    title:
      'Open MPI FAQ: OpenFabrics (InfiniBand, RoCE): registered ("pinned") memory and locked memory limits',
    url: 'https://www.open-mpi.org/faq/?category=openfabrics',
  },
  rhelMemlock: {
    title: 'Red Hat Enterprise Linux 7 Networking Guide: relaxing memlock restrictions for users (RDMA)',
    url: 'https://docs.redhat.com/en/documentation/red_hat_enterprise_linux/7/html/networking_guide/sec-relaxing_memlock_restrictions_for_users',
  },
  prctl: {
    title: 'prctl(2): PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP',
    url: 'https://man7.org/linux/man-pages/man2/prctl.2.html',
  },
  singularity25: {
    title: 'Singularity 2.5.0 CHANGELOG: errors if NO_NEW_PRIVS is not present and working',
    url: 'https://github.com/apptainer/singularity/blob/2.5.0/CHANGELOG.md',
  },
  userNamespaces: {
    title: 'user_namespaces(7)',
    url: 'https://man7.org/linux/man-pages/man7/user_namespaces.7.html',
  },
  namespaces: {
    title: 'namespaces(7): /proc/sys/user limits',
    url: 'https://man7.org/linux/man-pages/man7/namespaces.7.html',
  },
  apptainerUserns: {
    title: 'Apptainer admin guide: user namespace requirements',
    url: 'https://apptainer.org/docs/admin/main/user_namespace.html',
  },
  apptainerSecurity: {
    title: 'Apptainer admin guide: security in Apptainer',
    url: 'https://apptainer.org/docs/admin/main/security.html',
  },
  apptainerConf: {
    title: 'Apptainer admin guide: apptainer.conf',
    url: 'https://apptainer.org/docs/admin/main/configfiles.html',
  },
  singularityConf: {
    title: 'SingularityCE admin guide: singularity.conf',
    url: 'https://docs.sylabs.io/guides/latest/admin-guide/configfiles.html',
  },
  apptainerEcl: {
    title:
      'Apptainer: the execution control list, its format, modes and warning (syecl.go, syecl.toml.example)',
    url: 'https://github.com/apptainer/apptainer/blob/main/internal/pkg/syecl/syecl.toml.example',
  },
  singularityEcl: {
    title:
      'SingularityCE: the execution control list, its format, modes and warning (syecl.go, syecl.toml.example)',
    url: 'https://github.com/sylabs/singularity/blob/main/internal/pkg/syecl/syecl.toml.example',
  },
  sifIntegrity: {
    title: 'sylabs/sif integrity package: what signatures cover, legacy signatures (verify.go)',
    url: 'https://github.com/sylabs/sif/blob/main/pkg/integrity/verify.go',
  },
  sysctlKernel: {
    title: 'Linux kernel documentation: /proc/sys/kernel',
    url: 'https://docs.kernel.org/admin-guide/sysctl/kernel.html',
  },
  sysctlFs: {
    title: 'Linux kernel documentation: /proc/sys/fs',
    url: 'https://docs.kernel.org/admin-guide/sysctl/fs.html',
  },
  yama: {
    title: 'Linux kernel documentation: Yama',
    url: 'https://docs.kernel.org/admin-guide/LSM/Yama.html',
  },
  mount: { title: 'mount(8): nosuid, nodev', url: 'https://man7.org/linux/man-pages/man8/mount.8.html' },
  shifterSecurity: {
    title: 'Shifter doc/security.rst',
    url: 'https://github.com/NERSC/shifter/blob/master/doc/security.rst',
  },
  shifterVolumeMap: {
    title: 'Shifter src/VolumeMap.c (siteFs flags)',
    url: 'https://github.com/NERSC/shifter/blob/84b7d34911bb416ffe74e717b09969396523ff6e/src/VolumeMap.c',
  },
  shifterSshdAsRoot: {
    title: 'Shifter commit 7c09f56 "add option to run sshd as root" (16.08.3)',
    url: 'https://github.com/NERSC/shifter/commit/7c09f56f0450bb210f09be2560fe1b7714c01678',
  },
  shifterSshdAsRootDropped: {
    title:
      'Shifter commit bca39f0 "drop legacy support for allowing site to configure sshd to run as root" (18.03.0)',
    url: 'https://github.com/NERSC/shifter/commit/bca39f0ef58ed24879d457e02a0f3fa52a8b81e1',
  },
  podmanRootless: {
    title: 'Podman rootless tutorial',
    url: 'https://github.com/containers/podman/blob/main/docs/tutorials/rootless_tutorial.md',
  },
  subuid: { title: 'subuid(5)', url: 'https://man7.org/linux/man-pages/man5/subuid.5.html' },
  cve20148989: {
    title: 'CVE-2014-8989: setgroups in user namespaces',
    url: 'https://nvd.nist.gov/vuln/detail/CVE-2014-8989',
  },
  cve202330549: {
    title: 'GHSA-j4rf-7357-f4cg / CVE-2023-30549: setuid Apptainer ext4 mounts',
    url: 'https://github.com/apptainer/apptainer/security/advisories/GHSA-j4rf-7357-f4cg',
  },
  enrootRequirements: {
    title: 'enroot doc/requirements.md',
    url: 'https://github.com/NVIDIA/enroot/blob/master/doc/requirements.md',
  },
  enrootInstall: {
    title: 'enroot doc/installation.md (+caps packages)',
    url: 'https://github.com/NVIDIA/enroot/blob/master/doc/installation.md',
  },
  charliecloudInstall: {
    title: 'Charliecloud installation: user namespaces',
    url: 'https://hpc.github.io/charliecloud/install.html',
  },
  khc: { title: 'kernel-hardening-checker', url: 'https://github.com/a13xp0p0v/kernel-hardening-checker' },
  egiSvg: { title: 'EGI SVG advisories (user namespaces, Singularity)', url: 'https://advisories.egi.eu/' },
  cgroupV2: {
    title: 'Linux kernel documentation: Control Group v2',
    url: 'https://docs.kernel.org/admin-guide/cgroup-v2.html',
  },
  podmanCgroups: {
    title: 'Podman troubleshooting: rootless resource limits need cgroup v2',
    url: 'https://github.com/containers/podman/blob/main/troubleshooting.md',
  },
  sarusRequirements: {
    title: 'Sarus requirements',
    url: 'https://sarus.readthedocs.io/en/stable/install/requirements.html',
  },
} satisfies Record<string, Reference>;
