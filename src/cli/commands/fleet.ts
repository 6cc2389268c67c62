// `ctrsafe fleet ...`, declared: the cluster-wide side (server, collection, store, plan).
import type { CommandSpec, OptionSpec } from '../spec.js';

const STORE: OptionSpec = {
  name: 'db',
  value: 'URL',
  description: 'the fleet store: sqlite:PATH or postgres://user@host:port/db',
  env: 'CTRSAFE_FLEET_DB',
};
const INTERVAL: OptionSpec = {
  name: 'interval-hours',
  value: 'H',
  description: 'how often nodes report: a node is stale after twice that without a report',
  default: '24',
};
const STALE: OptionSpec = {
  name: 'stale-hours',
  value: 'H',
  description: 'stale after this many hours without a report',
  default: 'twice --interval-hours',
};
const TABLE_FORMAT: OptionSpec = {
  name: 'format',
  short: 'f',
  value: 'FORMAT',
  choices: ['text', 'json', 'csv'],
  description: 'a table (text), json or csv',
  default: 'text',
};
const TIMEOUT: OptionSpec = {
  name: 'timeout',
  value: 'SEC',
  description: 'stop waiting for the nodes after this long',
  default: '600',
};
const OUT: OptionSpec = {
  name: 'out',
  value: 'DIR',
  description: 'where the nodes write their reports (NODE.json)',
  default: 'a new directory under $TMPDIR',
  complete: 'dir',
};

export const FLEET: CommandSpec = {
  name: 'fleet',
  summary: "collect, store and show every node's report",
  description:
    "The cluster-wide side: a store (SQLite or PostgreSQL) of every node's latest report and its history, filled by the nodes themselves (check --push), by Slurm or pdsh, or from a shared directory; an HTTP API and dashboard; and the patch plan.",
  subcommands: [
    {
      name: 'serve',
      summary: 'the fleet HTTP API and dashboard',
      description:
        "Serves the versioned API (enrolment, reports, summary, nodes, plan, drift, metrics) and the dashboard over plain HTTP; put it behind the site's TLS reverse proxy. Tokens come from files or the environment, never the command line.",
      options: [
        STORE,
        {
          name: 'listen',
          value: 'HOST:PORT',
          description: 'where to listen',
          default: '127.0.0.1:8080',
          env: 'CTRSAFE_LISTEN',
        },
        INTERVAL,
        STALE,
        {
          name: 'admin-token-file',
          value: 'FILE',
          description: "the administrators' bearer token (else $CTRSAFE_ADMIN_TOKEN)",
          complete: 'file',
        },
        {
          name: 'enroll-secret-file',
          value: 'FILE',
          description: 'the secret nodes enrol with (else $CTRSAFE_ENROLL_SECRET)',
          complete: 'file',
        },
      ],
      load: async () => (await import('../fleet-command.js')).fleetServeCommand,
    },
    {
      name: 'collect',
      summary: 'run check on every node through Slurm or pdsh and store the reports',
      description:
        'Fans ctrsafe check out over the cluster with srun (one task per node, nodes Slurm cannot run a task on are named and skipped) or pdsh, stores what comes back, and names the nodes that did not answer.',
      options: [
        STORE,
        { name: 'slurm', description: 'fan out with srun' },
        { name: 'partition', value: 'P', description: 'with --slurm: only this partition' },
        { name: 'nodes', value: 'HOSTLIST', description: 'with --slurm: only these nodes' },
        {
          name: 'srun-arg',
          value: 'OPT',
          repeatable: true,
          description:
            "with --slurm: one of the site's own srun options (--reservation=R, --account=A, --time=T)",
        },
        { name: 'pdsh', value: 'HOSTLIST', description: 'fan out with pdsh over these hosts', config: false },
        { name: 'rcmd', value: 'MODULE', description: "with --pdsh: pdsh's rcmd module (ssh, exec, ...)" },
        OUT,
        TIMEOUT,
      ],
      load: async () => (await import('../fleet-command.js')).fleetCollectCommand,
    },
    {
      name: 'ingest',
      summary: 'store the reports nodes wrote to a shared directory',
      description:
        "Stores every report (NODE.json) in DIR once, by its report id; reports older than the node's latest are kept as history.",
      args: { usage: 'DIR', min: 1, max: 1, complete: 'dir' },
      options: [STORE],
      load: async () => (await import('../fleet-command.js')).fleetIngestCommand,
    },
    {
      name: 'summary',
      summary: 'the fleet at a glance',
      description:
        'Nodes, readiness per runtime, failing rules, affected vulnerabilities and stale nodes, from the store.',
      options: [STORE, INTERVAL, STALE, TABLE_FORMAT],
      load: async () => (await import('../fleet-command.js')).fleetSummaryCommand,
    },
    {
      name: 'nodes',
      summary: 'the nodes, filtered',
      description:
        "Every node's latest state: kernel, runtimes ready, failed rules, affected vulnerabilities, last report.",
      options: [
        STORE,
        { name: 'search', value: 'TEXT', description: 'host names containing TEXT' },
        { name: 'kernel', value: 'RELEASE', description: 'nodes running this kernel release' },
        { name: 'offset', value: 'N', description: 'skip the first N nodes', default: '0' },
        { name: 'limit', value: 'N', description: 'at most N nodes', default: '100' },
        TABLE_FORMAT,
      ],
      load: async () => (await import('../fleet-command.js')).fleetNodesCommand,
    },
    {
      name: 'plan',
      summary: 'the patch plan: actions grouped over nodes, most risk removed first',
      description:
        "Each node's report becomes actions (update the kernel to at least X, update a package, fix a rule); the same work on the same starting point is grouped across nodes with a Slurm hostlist.",
      options: [
        STORE,
        { name: 'limit', value: 'N', description: 'at most N actions', default: '50' },
        TABLE_FORMAT,
      ],
      load: async () => (await import('../fleet-command.js')).fleetPlanCommand,
    },
  ],
};
