// `ctrsafe run`, declared: a hardened unprivileged launch on bubblewrap.
import type { CommandSpec } from '../spec.js';

export const RUN: CommandSpec = {
  name: 'run',
  summary: 'run a command in an image, unprivileged, on bubblewrap',
  description:
    'Runs COMMAND in IMAGE (a directory, squashfs, SIF, OCI layout or archive, docker-save or tar archive) on bubblewrap, unprivileged: a user namespace mapping you to yourself, new mount and PID namespaces, no_new_privs, no capabilities, every mount nosuid and nodev, the image read-only. The host is checked first (user namespaces, no_new_privs) and, when the site has an image policy, the image too; either failing refuses the launch with the reason and the fix.',
  args: { usage: 'IMAGE -- COMMAND [ARG...]', min: 1, max: 1, dashCommand: true, complete: 'file' },
  options: [
    {
      name: 'bind',
      short: 'b',
      value: 'SRC[:DST[:ro|rw]]',
      repeatable: true,
      description: 'bind a host path (repeat, or comma-separated); $HOME is bound unless --no-home',
      config: false,
    },
    { name: 'no-home', description: 'do not bind $HOME' },
    {
      name: 'net',
      value: 'NET',
      choices: ['host', 'none'],
      description: 'keep the host network (MPI and interconnects need it) or none at all',
      default: 'host',
    },
    {
      name: 'fakeroot',
      description: 'be uid 0 inside (still no privilege outside: root in the namespace owns nothing)',
    },
    {
      name: 'gpu',
      aliases: ['nv'],
      description: 'bind NVIDIA devices and the driver libraries the ldconfig cache names',
    },
    {
      name: 'env',
      value: 'NAME=VALUE',
      repeatable: true,
      description: 'set a variable inside',
      config: false,
    },
    {
      name: 'cleanenv',
      description: 'start from an empty environment (HOME, USER, TERM, LANG, TZ, PATH kept)',
    },
    {
      name: 'workdir',
      aliases: ['pwd'],
      value: 'DIR',
      description: 'working directory inside',
      default: 'the current one when bound, else $HOME',
      config: false,
    },
    {
      name: 'policy',
      value: 'FILE',
      description: "an image policy to apply as well as the site's /etc/ctrsafe/image-policy.yaml",
      complete: 'file',
    },
    {
      name: 'keyring',
      value: 'FILE|DIR',
      repeatable: true,
      description:
        "keys trusted for --policy's require_signature (the site's policy is always judged with the site's keyring, /etc/ctrsafe/keys)",
      complete: 'file',
      config: false,
    },
    {
      name: 'cache',
      value: 'DIR',
      description: 'where unpacked images are kept',
      default: '$XDG_CACHE_HOME/ctrsafe/rootfs (~/.cache/ctrsafe/rootfs)',
      complete: 'dir',
    },
    {
      name: 'unpack',
      description: 'unpack squashfs and SIF into the cache even where squashfuse could mount them',
    },
    {
      name: 'host-root',
      value: 'DIR',
      description: 'judge readiness from this host tree instead of / (node images, tests)',
      complete: 'dir',
      config: false,
    },
    { name: 'dry-run', description: 'print the bwrap command line instead of running it', config: false },
  ],
  load: async () => (await import('../run-command.js')).runCommand,
  failureExit: 125,
  sections: [
    {
      title: 'Exit status',
      body: "the command's (128+N when a signal N ended it); 125 when ctrsafe refused or failed before the launch.",
    },
  ],
  examples: [
    { command: 'ctrsafe run app.sif -- python3 train.py', says: 'as apptainer exec would, without setuid' },
    {
      command: 'srun -n 64 ctrsafe run --bind /scratch lammps.sqfs -- lmp -in in.lj',
      says: 'one container per MPI rank',
    },
  ],
};
