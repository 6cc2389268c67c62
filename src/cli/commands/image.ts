// `ctrsafe image audit|sanitize`, declared: vet images before a site admits them.
import type { CommandSpec } from '../spec.js';
import { COLOR_OPTIONS, REPORT_OPTIONS, VERBOSE } from './shared-options.js';

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
