// `ctrsafe gate`, declared: pass or fail this node (or an image) against the site policy, in one line.
import type { CommandSpec } from '../spec.js';
import { HOST_OPTIONS, VERBOSE } from './shared-options.js';

export const GATE: CommandSpec = {
  name: 'gate',
  summary: 'pass or fail this node (or an image) against the site policy, in one line for Slurm and NHC',
  description:
    'Runs the check and judges it against the site policy (required runtimes, severity thresholds, waivers with end dates), printing one line in the style of NHC. The check runs in the gate’s own process when nothing it reads is on a network, FUSE or automount file system (where a dead server would block it), else in a child under a watchdog that ends it after --timeout. With --slurm-drain it drains the node with a ctrsafe reason when it fails and resumes it when it passes, only if ctrsafe drained it. With --image it judges one image against the image policy instead, caching verdicts by content.',
  options: [
    {
      name: 'policy',
      value: 'FILE',
      description: 'the gate policy',
      default: '/etc/ctrsafe/gate.yaml when it exists, else fail on critical',
      env: 'CTRSAFE_GATE_POLICY',
      complete: 'file',
    },
    {
      name: 'slurm-drain',
      description: 'drain this node in Slurm on fail; resume it on pass if ctrsafe drained it',
    },
    {
      name: 'node',
      value: 'NAME',
      description:
        "the node's Slurm name (never a guess: else the node scontrol lists for this host's name or address)",
      default: '$SLURMD_NODENAME',
      config: false,
    },
    {
      name: 'scontrol',
      value: 'PATH',
      description: 'the scontrol to run (never found through PATH)',
      default: 'the first root-owned one in /usr/bin, /usr/local/bin, /opt/slurm/bin, /usr/sbin',
      complete: 'file',
    },
    {
      name: 'slurm-timeout',
      value: 'SEC',
      description: 'how long to wait for scontrol; no answer means no change',
      default: '10',
    },
    {
      name: 'watchdog',
      description:
        'always run the check in a child under the watchdog (a second Node start), even when it could run in-process',
    },
    {
      name: 'timeout',
      value: 'SEC',
      description: 'watchdog for the whole check (in-process: the bound on every probe)',
      default: "the policy's timeout_seconds, 30",
    },
    {
      name: 'on-error',
      value: 'WHAT',
      choices: ['pass', 'fail'],
      description: 'when ctrsafe cannot judge the node: pass or fail',
      default: "the policy's on_error, pass",
    },
    {
      name: 'image',
      value: 'PATH',
      description: 'judge this image instead of the node',
      complete: 'file',
      config: false,
    },
    {
      name: 'image-policy',
      value: 'FILE',
      description: 'the image policy',
      default: "the gate policy's image_policy",
      complete: 'file',
    },
    {
      name: 'cache',
      value: 'DIR',
      description: 'image verdicts by content digest',
      default: '/var/cache/ctrsafe/images as root',
      complete: 'dir',
    },
    {
      name: 'keyring',
      value: 'FILE|DIR',
      repeatable: true,
      description:
        'with --image: public keys trusted to sign SIFs (their content is part of the cached verdict)',
      default: "the policy's keyring, else /etc/ctrsafe/keys",
      complete: 'file',
    },
    ...HOST_OPTIONS,
    {
      name: 'format',
      short: 'f',
      value: 'FORMAT',
      choices: ['text', 'json'],
      description: 'one line (text) or the verdict as json',
      default: 'text',
    },
    { ...VERBOSE, description: 'also print waivers applied and unknowns tolerated' },
  ],
  load: async () => (await import('../gate-command.js')).gateCommand,
  sections: [
    {
      title: 'Exit status',
      body: '0 the node (or image) passes, or ctrsafe could not judge it and the policy says on_error: pass; 1 it fails; 2 usage error; 4 invalid policy.',
    },
    {
      title: 'Files',
      body: '/etc/ctrsafe/gate.yaml (the site policy), /var/cache/ctrsafe/images (image verdicts).',
    },
  ],
  examples: [
    { command: 'ctrsafe gate --slurm-drain', says: 'as a Slurm HealthCheckProgram' },
    {
      command: 'ctrsafe gate --image /scratch/alice/app.sif',
      says: 'in a prolog, before a job may use an image',
    },
  ],
};
