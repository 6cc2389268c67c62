// `ctrsafe check`, declared: what it does, its options and where each can also be set.
import type { CommandSpec } from '../spec.js';
import { COLOR_OPTIONS, HOST_OPTIONS, REPORT_OPTIONS, VERBOSE } from './shared-options.js';

export const CHECK: CommandSpec = {
  name: 'check',
  summary: 'which container runtimes can run on this host, how safely, and what to change',
  description:
    'Probes the live host (or reads a copied tree with --root), judges every runtime — Singularity, SingularityCE, Apptainer, Shifter, Charliecloud, Podman, enroot, Sarus — and the kernel against the rule catalogue and the advisory database, and prints the verdict: live probes first, files second, version numbers last. Run it as root so that the probes run as an unprivileged user.',
  options: [
    ...HOST_OPTIONS,
    {
      name: 'format',
      short: 'f',
      value: 'FORMAT',
      choices: ['text', 'json', 'sarif', 'csv', 'junit', 'prometheus'],
      description: 'text, json (ctrsafe.report/1), sarif (SARIF 2.1.0), csv, junit or prometheus',
      default: 'text',
      env: 'CTRSAFE_FORMAT',
    },
    ...REPORT_OPTIONS,
    {
      name: 'textfile-dir',
      value: 'DIR',
      description:
        "with --format prometheus: write DIR/ctrsafe.prom atomically for node_exporter's textfile collector",
      complete: 'dir',
    },
    {
      name: 'explain',
      value: 'ID',
      description:
        'explain one rule and how this host fares against it, or one advisory (CVE-...) and what decided its verdict here',
      config: false,
    },
    {
      name: 'all',
      description:
        'also list the advisories this host is fixed for or not affected by, with what decided each (text output)',
    },
    {
      name: 'model',
      value: 'MODEL',
      choices: ['userns', 'setuid', 'both'],
      description: "the site's container model: userns, setuid or both",
      default: 'inferred from what is installed',
    },
    {
      name: 'push',
      value: 'URL',
      description: 'send the report to a ctrsafe fleet server (enrols once, spools while it is down)',
      env: 'CTRSAFE_PUSH',
    },
    {
      name: 'state',
      value: 'DIR',
      description: "where --push keeps the node's token and spool",
      default: '/var/lib/ctrsafe as root, else ~/.local/share/ctrsafe',
      env: 'CTRSAFE_STATE_DIR',
      complete: 'dir',
    },
    {
      name: 'enroll-secret-file',
      value: 'FILE',
      description: 'the fleet enrolment secret, for the first --push (else $CTRSAFE_ENROLL_SECRET)',
      complete: 'file',
    },
    {
      name: 'timeout',
      value: 'SEC',
      description:
        'watchdog: the check runs in a child that is killed after SEC seconds, naming the step that hung (a tree may be hostile)',
      default: '120 with --root; off for the live host',
    },
    ...COLOR_OPTIONS,
    VERBOSE,
    // ctrsafe gate's watchdog: the check writes each step's name to this descriptor as it starts.
    { name: 'progress-fd', value: 'FD', description: 'internal', hidden: true, config: false },
  ],
  load: async () => (await import('../check-command.js')).checkCommand,
  sections: [
    {
      title: 'Exit status',
      body: '0 the check ran; 1 --fail-on matched; N --exit-code matched; 2 usage error; 3 the host root cannot be read; 4 invalid input (policy, ignore file, advisories); 70 internal error.',
    },
  ],
  examples: [
    { command: 'ctrsafe check', says: 'the verdict for this host, as a table' },
    {
      command: 'ctrsafe check --severity high,critical --exit-code 1',
      says: 'fail a CI or Ansible run on serious findings only',
    },
    {
      command: 'ctrsafe check --root /srv/images/compute-el9 --format json -o report.json',
      says: 'judge a node image',
    },
    { command: 'ctrsafe check --explain CS-K001', says: 'why a rule exists and how this host fares' },
    {
      command: 'ctrsafe check --explain CVE-2024-1086',
      says: "the kernel's verdict, its fixed version and advisory, and the data that decided it",
    },
  ],
};
