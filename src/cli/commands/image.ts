// `ctrsafe image audit|sanitize`, declared: vet images before a site admits them.
import type { CommandSpec, OptionSpec } from '../spec.js';
import { COLOR_OPTIONS, REPORT_OPTIONS, VERBOSE } from './shared-options.js';

const KEYRING: OptionSpec = {
  name: 'keyring',
  value: 'FILE|DIR',
  repeatable: true,
  description: 'public keys trusted to sign SIFs: armored OpenPGP and PEM files, or a directory of them',
  env: 'CTRSAFE_KEYRING',
  complete: 'file',
};

const POLICY = {
  name: 'policy',
  value: 'FILE',
  description: 'the site image policy (YAML or JSON): rules to relax, waivers with end dates',
  env: 'CTRSAFE_IMAGE_POLICY',
  complete: 'file' as const,
};

export const IMAGE: CommandSpec = {
  name: 'image',
  summary: 'vet and rebuild container images',
  description:
    'Reads SIF, squashfs, ext2/3/4, OCI layouts and archives, docker-save and plain tar archives (gzip, xz, zstd) and directories byte by byte, without mounting or extracting them.',
  subcommands: [
    {
      name: 'audit',
      summary: 'find setuid files, capabilities, devices, escaping links and more in images',
      description:
        "Reports setuid/setgid files, file capabilities, xattrs, device nodes, world-writable paths, foreign owners, escaping links, unsafe archive names, duplicates, whiteout-hidden files, and the image file's own permissions. The format is told from the content, not the name.",
      args: { usage: 'IMAGE...', min: 1, max: 10000, complete: 'file' },
      options: [
        POLICY,
        {
          name: 'profile',
          value: 'PROFILE',
          choices: ['baseline', 'strict'],
          description:
            "baseline accepts what stock distribution trees carry (standard pseudo devices in /dev, absolute links, /etc/shadow's shadow group); strict judges every finding by its kind",
          default: "the policy's profile, else baseline",
        },
        KEYRING,
        {
          name: 'format',
          short: 'f',
          value: 'FORMAT',
          choices: ['text', 'json', 'sarif', 'csv', 'junit'],
          description: 'text, json (ctrsafe.image/1), sarif, csv or junit',
          default: 'text',
          env: 'CTRSAFE_FORMAT',
        },
        ...REPORT_OPTIONS,
        ...COLOR_OPTIONS,
        VERBOSE,
      ],
      load: async () => (await import('../image-command.js')).imageAuditCommand,
      examples: [
        { command: 'ctrsafe image audit user.sif', says: 'findings per file' },
        {
          command: 'ctrsafe image audit --format sarif -o audit.sarif images/*.sqfs',
          says: 'for a code-scanning dashboard',
        },
      ],
    },
    {
      name: 'verify',
      summary: 'verify SIF signatures against the site keys, as apptainer verify does',
      description:
        "Verifies a SIF's signatures without Apptainer: the digests the signatures carry against the header, descriptors and objects of each group (read once), the OpenPGP or DSSE signature against the keyring's armored OpenPGP and PEM public keys. One verdict per image: verified, signed-untrusted-key, signed-partially, signature-invalid or unsigned, with the signing keys, time and covered objects.",
      args: { usage: 'IMAGE...', min: 1, max: 10000, complete: 'file' },
      options: [
        KEYRING,
        {
          name: 'require',
          value: 'LEVEL',
          choices: ['trusted', 'any'],
          description:
            'exit 0 only when every image is verified (trusted) or carries a complete, unchanged signature by any key (any)',
          default: 'trusted',
        },
        {
          name: 'format',
          short: 'f',
          value: 'FORMAT',
          choices: ['text', 'json'],
          description: 'text or json',
          default: 'text',
        },
        ...COLOR_OPTIONS,
      ],
      load: async () => (await import('../verify-command.js')).verifyCommand,
      sections: [
        {
          title: 'Exit status',
          body: '0 when every image meets --require; 1 otherwise; 2 usage error; 4 a bad keyring.',
        },
      ],
      examples: [
        {
          command: 'ctrsafe image verify --keyring /etc/ctrsafe/keys app.sif',
          says: 'the verdict, keys and covered objects',
        },
      ],
    },
    {
      name: 'ecl',
      summary: "write Apptainer's and SingularityCE's execution control list from the site keyring",
      description:
        "Writes an execution control list (ecl.toml) for Apptainer (/etc/apptainer/ecl.toml) and SingularityCE (/usr/local/etc/singularity/ecl.toml): activated, legacy signatures refused, the keyring's OpenPGP fingerprints whitelisted, so the runtime itself refuses an unsigned SIF when it opens it. Without --path the list applies to SIFs in every directory; with --path DIR only SIFs in exactly those directories may run. The runtime checks signatures with its global keyring: import the same keys with apptainer key import --global FILE. PEM keys (DSSE signatures) cannot be listed: the ECL matches fingerprints that only OpenPGP signatures record.",
      options: [
        { ...KEYRING, default: '/etc/ctrsafe/keys' },
        {
          name: 'path',
          value: 'DIR',
          repeatable: true,
          description: 'only SIFs in exactly these directories may run',
          complete: 'dir',
        },
        {
          name: 'mode',
          value: 'MODE',
          choices: ['whitelist', 'whitestrict'],
          description: 'whitelist (a signature by one listed key) or whitestrict (by every listed key)',
          default: 'whitelist',
        },
        {
          name: 'output',
          short: 'o',
          value: 'FILE',
          description: 'replace FILE atomically (never writing through a link) instead of printing the list',
          complete: 'file',
          config: false,
        },
      ],
      load: async () => (await import('../ecl-command.js')).eclCommand,
      examples: [
        {
          command: 'ctrsafe image ecl --keyring /etc/ctrsafe/keys -o /etc/apptainer/ecl.toml',
          says: 'the runtime enforces the site keys',
        },
      ],
    },
    {
      name: 'sanitize',
      summary: 'rebuild an image as a squashfs the way Shifter advises',
      description:
        'Writes a squashfs with no xattrs, no setuid/setgid bits, no device nodes and root (or --owner) as the owner of every file, and refuses to keep it if its own audit still finds anything. OUT.sqfs must not exist.',
      args: { usage: 'IN OUT.sqfs', min: 2, max: 2, complete: 'file' },
      options: [
        { name: 'owner', value: 'UID:GID', description: 'owner of every file in the result', default: '0:0' },
        POLICY,
        { name: 'quiet', short: 'q', description: 'print nothing but errors' },
      ],
      load: async () => (await import('../sanitize-command.js')).sanitizeCommand,
    },
  ],
};
