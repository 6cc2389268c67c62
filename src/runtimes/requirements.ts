// What each runtime needs from the host in each mode, with the source that says so (data, not code).
import type { Condition } from '../rules/rule.js';
import type { RuntimeId } from './locations.js';

export type Mode = 'setuid' | 'unprivileged';

export interface Need {
  label: string;
  cond: Condition;
  why: string;
  /** The need applies only from this runtime version on (e.g. Singularity's no_new_privs check since 2.5). */
  sinceVersion?: string;
}

const feature = (id: string): Condition => ({ fact: `feature.${id}`, op: 'eq', value: 'yes' });

const NNP: Need = {
  label: 'PR_SET_NO_NEW_PRIVS',
  cond: feature('no_new_privs'),
  why: 'the setuid starter refuses to run without it (Apptainer/SingularityCE cmd/starter/c/starter.c)',
};
/**
 * Unprivileged user namespaces for this runtime: open to everyone, or (Ubuntu >= 23.10) open to the runtime
 * because an AppArmor profile grants it "userns" (ubuntu.com blog, "restricted unprivileged user namespaces").
 */
const userns = (id: RuntimeId, why: string): Need => ({
  label: 'unprivileged user namespaces',
  cond: {
    any: [
      feature('unprivileged_userns'),
      {
        all: [
          { fact: `runtime.${id}.apparmor_userns`, op: 'eq', value: true },
          feature('userns_with_apparmor_profile'),
        ],
      },
    ],
  },
  why,
});
const USERNS_WHY = 'containers are created in an unprivileged user namespace';
const SQUASHFS: Need = {
  label: 'kernel squashfs',
  cond: feature('squashfs_kernel'),
  why: 'images are squashfs files mounted by the kernel',
};
const LOOP: Need = {
  label: 'loop devices',
  cond: feature('loop_devices'),
  why: 'image files are attached to loop devices',
};

export const NEEDS: Record<RuntimeId, Partial<Record<Mode, Need[]>>> = {
  singularity: {
    setuid: [
      {
        ...NNP,
        why: 'Singularity >= 2.5 aborts with "Host kernel is outdated and does not support PR_SET_NO_NEW_PRIVS!" (src/util/privilege.c)',
        sinceVersion: '2.5',
      },
    ],
    unprivileged: [userns('singularity', USERNS_WHY)],
  },
  'singularity-ce': { setuid: [NNP], unprivileged: [userns('singularity-ce', USERNS_WHY)] },
  apptainer: { setuid: [NNP], unprivileged: [userns('apptainer', USERNS_WHY)] },
  // Shifter sets no_new_privs only when built with it (src/shifter.c); it needs loop and squashfs (udiRoot.conf autoLoadKernelModule).
  shifter: { setuid: [LOOP, SQUASHFS] },
  charliecloud: {
    unprivileged: [
      userns(
        'charliecloud',
        'ch-run creates an unprivileged user namespace and refuses to run setuid (Charliecloud install.rst)',
      ),
    ],
  },
  podman: {
    unprivileged: [
      userns('podman', 'rootless Podman runs containers in a user namespace (rootless_tutorial.md)'),
    ],
  },
  enroot: {
    unprivileged: [
      userns('enroot', 'enroot needs CONFIG_USER_NS and unprivileged user namespaces (doc/requirements.md)'),
      {
        label: 'user and mount namespace limits above 1',
        cond: {
          all: [
            {
              any: [
                { fact: 'sysctl.user.max_user_namespaces', op: 'gt', value: 1 },
                { fact: 'sysctl.user.max_user_namespaces', op: 'eq', value: null },
              ],
            },
            {
              any: [
                { fact: 'sysctl.user.max_mnt_namespaces', op: 'gt', value: 1 },
                { fact: 'sysctl.user.max_mnt_namespaces', op: 'eq', value: null },
              ],
            },
          ],
        },
        why: 'enroot requires user.max_user_namespaces > 1 and user.max_mnt_namespaces > 1 (doc/requirements.md)',
      },
      {
        label: 'seccomp filter mode',
        cond: feature('seccomp_filter'),
        why: 'enroot requires CONFIG_SECCOMP_FILTER (doc/requirements.md)',
      },
    ],
  },
  // Sarus requirements: loop, squashfs and overlay kernel modules (Sarus docs, install/requirements.rst).
  sarus: {
    setuid: [
      LOOP,
      SQUASHFS,
      {
        label: 'kernel overlayfs',
        cond: feature('overlayfs'),
        why: 'Sarus mounts an overlay over the image',
      },
    ],
  },
};
