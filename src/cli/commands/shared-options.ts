// Options several commands share, declared once so their help and meaning cannot drift apart.
import type { OptionSpec } from '../spec.js';

export const SEVERITY_LEVELS = ['info', 'low', 'medium', 'high', 'critical'] as const;

/** Who the live probes run as, and their deadline: check and snapshot both probe. */
export const AS_USER: OptionSpec = {
  name: 'as-user',
  value: 'NAME',
  description: 'run the probes as this unprivileged user (root only)',
  default: 'nobody',
  complete: 'user',
};
export const PROBE_TIMEOUT: OptionSpec = {
  name: 'probe-timeout',
  value: 'MS',
  description: 'deadline for each probe and version command',
  default: '3000',
};

export const HOST_OPTIONS: OptionSpec[] = [
  {
    name: 'root',
    value: 'DIR',
    description: 'judge a copied host tree (node image, snapshot) instead of the live host',
    complete: 'dir',
    config: false,
  },
  AS_USER,
  PROBE_TIMEOUT,
  {
    name: 'advisories',
    value: 'DIR',
    description: 'match against this directory of OSV records instead of the database',
    complete: 'dir',
  },
  {
    name: 'db',
    value: 'DIR',
    description: 'the advisory database "ctrsafe db update" maintains',
    default: '/var/lib/ctrsafe as root, else ~/.local/share/ctrsafe',
    env: 'CTRSAFE_DB',
    complete: 'dir',
  },
];

export const COLOR_OPTIONS: OptionSpec[] = [
  {
    name: 'color',
    value: 'WHEN',
    choices: ['auto', 'always', 'never'],
    description: 'colour the text output: auto, always or never (NO_COLOR is honoured)',
    default: 'auto',
  },
  { name: 'no-color', description: 'the same as --color never', config: false },
];

/** The scanner conventions (Trivy's): where output goes, which severities count, what exit code they give. */
export const REPORT_OPTIONS: OptionSpec[] = [
  {
    name: 'output',
    short: 'o',
    value: 'FILE',
    description: 'write the output to FILE (created anew, atomically) instead of standard output',
    complete: 'file',
    config: false,
  },
  {
    name: 'severity',
    value: 'LIST',
    description: `only these severities count and are shown (comma-separated: ${SEVERITY_LEVELS.join(',')})`,
  },
  {
    name: 'exit-code',
    value: 'N',
    description:
      'exit with N when a failed finding or an affected vulnerability of a counted severity remains',
    default: '0',
  },
  {
    name: 'fail-on',
    value: 'SEVERITY',
    choices: SEVERITY_LEVELS,
    description:
      'exit 1 when a finding of this severity or worse fails (info, low, medium, high or critical)',
  },
  {
    name: 'ignorefile',
    value: 'FILE',
    description:
      'findings and vulnerabilities to ignore, each with a reason and an end date; expired entries are reported and not applied',
    default: '.ctrsafeignore when it exists',
    env: 'CTRSAFE_IGNOREFILE',
    complete: 'file',
  },
  {
    name: 'quiet',
    short: 'q',
    description: 'print nothing but the output: no progress, no notes on standard error',
  },
];

export const VERBOSE: OptionSpec = {
  name: 'verbose',
  short: 'v',
  description: 'show every reason and full evidence',
};
