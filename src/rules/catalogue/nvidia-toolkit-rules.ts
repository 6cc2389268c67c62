// NVIDIA container toolkit config.toml rules (issue 19): the settings of /etc/nvidia-container-runtime/config.toml
// that decide what the toolkit's hooks, which run with the runtime's privileges, take from the container.
import type { Rule } from '../rule.js';
import { REF } from './references.js';

/** The toolkit's config.toml was read (the collector's fact; absent when the file is not there). */
const CONFIG_READ = { fact: 'nvidia_toolkit.config', op: 'exists' as const };
const CONFIG = { 'nvidia_toolkit.config': '/etc/nvidia-container-runtime/config.toml' };

export const NVIDIA_TOOLKIT_RULES: Rule[] = [
  {
    id: 'CS-A002',
    title: "The NVIDIA container toolkit runs the host's ldconfig, not the container's",
    severity: 'high',
    // The collector sets nvidia_toolkit.ldconfig_host from the ldconfig value's "@" prefix (rule ops are whole-word).
    applies: { fact: 'nvidia_toolkit.ldconfig', op: 'exists' },
    check: { fact: 'nvidia_toolkit.ldconfig_host', op: 'eq', value: true },
    affects: ['all'],
    rationale:
      "nvidia-container-cli updates the container's library cache by running ldconfig from the path in [nvidia-container-cli] ldconfig: a path starting with \"@\" is the host's binary, any other path is looked up inside the container's root file system, so the hook, which runs with the container runtime's privileges (root for the legacy hook), executes a program the image supplies. Toolkit 1.17.3 and later refuse a container path unless [features] allow-ldconfig-from-container = true; older toolkits run it.",
    remediation:
      'Set ldconfig = "@/sbin/ldconfig" (Debian and Ubuntu: "@/sbin/ldconfig.real") under [nvidia-container-cli] in /etc/nvidia-container-runtime/config.toml, as the packages ship it, and update the toolkit to 1.17.3 or later.',
    references: [REF.nvidiaToolkitLdconfig, REF.nvidiaToolkitReleaseNotes],
    recommendedBy: ['NVIDIA Container Toolkit 1.17.3'],
    examples: [
      {
        facts: {
          ...CONFIG,
          'nvidia_toolkit.ldconfig': '@/sbin/ldconfig',
          'nvidia_toolkit.ldconfig_host': true,
        },
        expect: 'pass',
      },
      {
        facts: {
          ...CONFIG,
          'nvidia_toolkit.ldconfig': '/sbin/ldconfig',
          'nvidia_toolkit.ldconfig_host': false,
        },
        expect: 'fail',
      },
      { facts: CONFIG, expect: 'not-applicable' },
    ],
  },
  {
    id: 'CS-A003',
    title: 'Unprivileged containers cannot choose GPUs with NVIDIA_VISIBLE_DEVICES',
    severity: 'medium',
    applies: CONFIG_READ,
    // The collector records a key left out as the toolkit's default, true.
    check: { fact: 'nvidia_toolkit.accept_envvar_unprivileged', op: 'eq', value: false },
    affects: ['all'],
    rationale:
      'With accept-nvidia-visible-devices-envvar-when-unprivileged = true (the toolkit\'s default when the key is absent) the legacy hook gives an unprivileged container the GPUs its image or user names in NVIDIA_VISIBLE_DEVICES, "all" included, whatever GPUs the scheduler allocated to the job: on a node shared by several jobs a container can use GPUs that are not its own unless the device cgroup also stops it. With false, only the device list the runtime mounts (accept-nvidia-visible-devices-as-volume-mounts = true) or CDI selects GPUs.',
    remediation:
      "Set accept-nvidia-visible-devices-envvar-when-unprivileged = false and accept-nvidia-visible-devices-as-volume-mounts = true at the top of /etc/nvidia-container-runtime/config.toml, and give GPUs through CDI (nvidia-ctk cdi generate) or the scheduler's allocation.",
    references: [REF.nvidiaToolkitConfig],
    recommendedBy: ['NVIDIA Container Toolkit (config.toml)'],
    examples: [
      { facts: { ...CONFIG, 'nvidia_toolkit.accept_envvar_unprivileged': false }, expect: 'pass' },
      { facts: { ...CONFIG, 'nvidia_toolkit.accept_envvar_unprivileged': true }, expect: 'fail' },
      // A value that is not a boolean is not read: not known.
      { facts: CONFIG, expect: 'unknown' },
      { facts: {}, expect: 'not-applicable' },
    ],
  },
  {
    id: 'CS-A004',
    title: 'The NVIDIA container toolkit does not take CUDA compat libraries from the container',
    severity: 'high',
    applies: CONFIG_READ,
    // The collector records the flag left out as off.
    check: { fact: 'nvidia_toolkit.allow_cuda_compat_libs_from_container', op: 'eq', value: false },
    affects: ['all'],
    rationale:
      "Toolkit 1.17.4 fixed CVE-2025-23359 (a crafted image reaching the host file system through the toolkit's setup) by no longer mounting the CUDA forward-compatibility libraries from the image's /usr/local/cuda/compat; [features] allow-cuda-compat-libs-from-container = true turns that behaviour back on, and with it the exposure, even on a fixed toolkit.",
    remediation:
      'Remove allow-cuda-compat-libs-from-container from [features] in /etc/nvidia-container-runtime/config.toml (or set it to false); images that need newer CUDA user-space libraries than the driver should get a newer driver instead.',
    references: [REF.nvidiaToolkit1174, REF.nvidiaToolkitReleaseNotes],
    recommendedBy: ['NVIDIA Container Toolkit 1.17.4'],
    examples: [
      { facts: { ...CONFIG, 'nvidia_toolkit.allow_cuda_compat_libs_from_container': false }, expect: 'pass' },
      { facts: { ...CONFIG, 'nvidia_toolkit.allow_cuda_compat_libs_from_container': true }, expect: 'fail' },
      { facts: CONFIG, expect: 'unknown' },
      { facts: {}, expect: 'not-applicable' },
    ],
  },
];
