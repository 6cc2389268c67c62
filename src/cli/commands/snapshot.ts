// `ctrsafe snapshot`, declared: take a host's answer elsewhere.
import type { CommandSpec } from '../spec.js';
import { AS_USER, PROBE_TIMEOUT } from './shared-options.js';

export const SNAPSHOT: CommandSpec = {
  name: 'snapshot',
  summary: 'copy what check reads, and the probe results, for check --root elsewhere',
  description:
    'Runs the live probes and copies every file ctrsafe check reads into DIR (new or empty, created by ctrsafe), with a manifest of modes, owners, capabilities, probe results and version outputs. "ctrsafe check --root DIR" on any machine then gives the same answer as check on this host.',
  options: [
    {
      name: 'output',
      short: 'o',
      value: 'DIR',
      description: 'the directory to write (must not exist, or be empty)',
      complete: 'dir',
      config: false,
    },
    AS_USER,
    PROBE_TIMEOUT,
  ],
  load: async () => (await import('../snapshot-command.js')).snapshotCommand,
  examples: [
    {
      command: 'ctrsafe snapshot -o /tmp/node042',
      says: 'then: ctrsafe check --root /tmp/node042 on a workstation',
    },
  ],
};
