// `ctrsafe run`, declared: a hardened unprivileged launch on bubblewrap.
import { DEFAULT_CACHE_MAX_SIZE } from '../../run/rootfs-cache.js';
import type { CommandSpec, OptionSpec } from '../spec.js';

const CACHE: OptionSpec = {
  name: 'cache',
  value: 'DIR',
  description: 'where unpacked images are kept',
  default: '$XDG_CACHE_HOME/ctrsafe/rootfs (~/.cache/ctrsafe/rootfs)',
  complete: 'dir',
};

const CACHE_MAX_SIZE: OptionSpec = {
  name: 'cache-max-size',
  value: 'SIZE',
  description:
    'after unpacking a new image, remove the least recently used others until the cache holds at most SIZE (20G, 512M)',
  default: DEFAULT_CACHE_MAX_SIZE,
};

const CACHE_COMMANDS: CommandSpec = {
  name: 'cache',
  summary: "list or clean run's cache of unpacked images",
  description:
    'The images `ctrsafe run` unpacked (SIF and squashfs where squashfuse cannot mount them, OCI and archives), one directory per image digest under $XDG_CACHE_HOME/ctrsafe/rootfs: your own, never shared with other users. An image file named "cache" is run as ./cache.',
  subcommands: [
    {
      name: 'list',
      summary: 'list the unpacked images: digest, size, files, last use',
      description: 'Lists the unpacked images in the cache, most recently used first, with their disk use.',
      options: [
        CACHE,
        {
          name: 'format',
          value: 'FORMAT',
          choices: ['text', 'json'],
          description: 'output format',
          default: 'text',
        },
      ],
      load: async () => (await import('../run-cache-command.js')).runCacheListCommand,
    },
    {
      name: 'clean',
      summary: 'remove unpacked images, least recently used first',
      description:
        'Removes unpacked images from the cache: all of them, or with --max-size the least recently used until the cache holds at most SIZE. An image another task is unpacking (its lock is held) is left alone. A job still running from a removed image loses its files: clean between jobs.',
      options: [
        CACHE,
        {
          name: 'max-size',
          value: 'SIZE',
          description: 'keep the most recently used images that fit in SIZE (20G, 512M)',
          default: '0: remove all',
        },
      ],
      load: async () => (await import('../run-cache-command.js')).runCacheCleanCommand,
    },
  ],
};

export const RUN: CommandSpec = {
  name: 'run',
  summary: 'run a command in an image, unprivileged, on bubblewrap',
  description:
    'Runs COMMAND in IMAGE (a directory, squashfs, SIF, OCI layout or archive, docker-save or tar archive) on bubblewrap, unprivileged: a user namespace mapping you to yourself, new mount and PID namespaces, no_new_privs, no capabilities, every mount nosuid and nodev, the image read-only. The host is checked first (user namespaces, no_new_privs) and, when the site has an image policy, the image too; either failing refuses the launch with the reason and the fix. The launch keeps its identity files in a new directory under $TMPDIR (/tmp), which must be one no other user can change (closed to others, or sticky as /tmp is).',
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
    CACHE,
    CACHE_MAX_SIZE,
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
  subcommands: [CACHE_COMMANDS],
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
