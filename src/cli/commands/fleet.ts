// `ctrsafe fleet ...`, declared: the cluster-wide side (server, collection, store, plan).
import type { CommandSpec, OptionSpec } from '../spec.js';

const STORE: OptionSpec = {
  name: 'db',
  value: 'URL',
  description: 'the fleet store: sqlite:PATH or postgres://user@host:port/db',
  env: 'CTRSAFE_FLEET_DB',
};
const DB_PASSWORD_FILE: OptionSpec = {
  name: 'db-password-file',
  value: 'FILE',
  description:
    'the PostgreSQL password, from a file only its owner can read (else PGPASSWORD or PGPASSFILE; never in --db, where ps would show it)',
  complete: 'file',
};
const DB_TIMEOUT: OptionSpec = {
  name: 'db-timeout',
  value: 'SEC',
  description:
    'PostgreSQL: give up on a statement after this long, and on opening a connection after at most 10 s',
  default: '30',
};
/** Every fleet command reads or writes the store. */
const STORE_OPTIONS = [STORE, DB_PASSWORD_FILE, DB_TIMEOUT];
const NODE_ARG = { usage: 'NODE', min: 1, max: 1, complete: 'none' } as const;
const WITHIN_HOURS: OptionSpec = {
  name: 'within-hours',
  value: 'H',
  description: 'the node may enrol (once) within this many hours',
  default: '24',
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
  description:
    'where the nodes write their reports (NODE.json); one nobody else can write (made 0700 when missing)',
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
        ...STORE_OPTIONS,
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
        {
          name: 'metrics-token-file',
          value: 'FILE',
          description:
            'the scrape token for /metrics and nothing else (else $CTRSAFE_METRICS_TOKEN; the admin token also reads /metrics)',
          complete: 'file',
        },
        {
          name: 'reenroll',
          value: 'POLICY',
          choices: ['refuse', 'approve'],
          description:
            "a second enrolment of a known host name: refused, or held for an administrator's approval (fleet enrolments)",
          default: 'refuse',
        },
        {
          name: 'enroll-rate',
          value: 'N[/BURST]',
          description: 'enrolments per address and minute, and the burst; 0: unlimited',
          default: '30/60',
        },
        {
          name: 'trust-proxy',
          value: 'ADDR',
          repeatable: true,
          description: "a reverse proxy's address: its X-Forwarded-For names the client",
        },
        {
          name: 'max-connections',
          value: 'N',
          description: 'connections at once (256 per address, proxies excepted)',
          default: '1024',
        },
        {
          name: 'request-log',
          value: 'PATH|-|off',
          description:
            'one JSON line per request (time, peer, node, route, status, bytes, ms); files are created 0600',
          default: '- (standard output)',
        },
        {
          name: 'audit-log',
          value: 'PATH|-|off',
          description: 'the audit trail as JSON lines (enrolments, refusals, revocations, re-keys)',
          default: '- (standard output)',
        },
        {
          name: 'retention-days',
          value: 'D',
          description: 'forget nodes silent this long, and older history, every 6 hours',
          default: 'keep everything',
        },
        {
          name: 'in-process',
          description: "the store's writer in the request thread (no writer thread)",
          hidden: true,
          config: false,
        },
      ],
      load: async () => (await import('../fleet-serve.js')).fleetServeCommand,
    },
    {
      name: 'collect',
      summary: 'run check on every node through Slurm or pdsh and store the reports',
      description:
        'Fans ctrsafe check out over the cluster with srun (one task per node, nodes Slurm cannot run a task on are named and skipped; a job runs in one partition, so the nodes go out in one srun per partition, as few as cover them) or pdsh, stores what comes back, and names the nodes that did not answer. A job Slurm queues but will not start as asked (a partition down or too short, a per-job QOS limit; the reason squeue gives, asked 2 s after srun says queued and every 15 s, or at once and every 2 s after srun says Slurm refuses the job) is stopped and named; one waiting for Resources or Priority is waited for, and the timeout names why it waited. A group refused for a node drained or down since sinfo was read goes out again without it, up to three more times. At --timeout, or at Ctrl-C (SIGINT, SIGTERM, SIGHUP), srun or pdsh and what they started here are stopped (SIGTERM, SIGKILL 10 s later) and what came back is stored; a second Ctrl-C kills them and ends ctrsafe, storing or not (2 s after the first at the soonest).',
      options: [
        ...STORE_OPTIONS,
        { name: 'slurm', description: 'fan out with srun' },
        {
          name: 'partition',
          value: 'P',
          description: 'with --slurm: only the nodes of this partition, in one srun',
        },
        { name: 'nodes', value: 'HOSTLIST', description: 'with --slurm: only these nodes' },
        {
          name: 'srun-arg',
          value: 'OPT',
          repeatable: true,
          description:
            "with --slurm: one of the site's own srun options (--account=A, --time=T; --reservation=R asks R's nodes only, in maintenance too)",
        },
        { name: 'pdsh', value: 'HOSTLIST', description: 'fan out with pdsh over these hosts', config: false },
        { name: 'rcmd', value: 'MODULE', description: "with --pdsh: pdsh's rcmd module (ssh, exec, ...)" },
        OUT,
        TIMEOUT,
      ],
      sections: [
        {
          title: 'Exit status of fleet collect',
          body: '0 reports came back (the nodes that did not answer are named); 1 nothing came back from the nodes asked (srun missing or refused is named per partition); 2 usage error; 4 invalid input (an --out that is refused or cannot be written; sinfo or pdsh missing; a reservation that is unknown, not active or holds none of the nodes asked); 128+N stopped by signal N after storing what came back (130 for Ctrl-C); 70 internal error.',
        },
      ],
      load: async () => (await import('../fleet-command.js')).fleetCollectCommand,
    },
    {
      name: 'ingest',
      summary: 'store the reports nodes wrote to a shared directory',
      description:
        "Stores every report (NODE.json) in DIR once, by its report id; reports older than the node's latest are kept as history.",
      args: { usage: 'DIR', min: 1, max: 1, complete: 'dir' },
      options: STORE_OPTIONS,
      load: async () => (await import('../fleet-command.js')).fleetIngestCommand,
    },
    {
      name: 'summary',
      summary: 'the fleet at a glance',
      description:
        'Nodes, readiness per runtime, failing rules, affected vulnerabilities and stale nodes, from the store.',
      options: [...STORE_OPTIONS, INTERVAL, STALE, TABLE_FORMAT],
      load: async () => (await import('../fleet-command.js')).fleetSummaryCommand,
    },
    {
      name: 'nodes',
      summary: 'the nodes, filtered',
      description:
        "Every node's latest state: kernel, runtimes ready, failed rules, affected vulnerabilities, last report.",
      options: [
        ...STORE_OPTIONS,
        { name: 'search', value: 'TEXT', description: 'host names containing TEXT' },
        { name: 'kernel', value: 'RELEASE', description: 'nodes running this kernel release' },
        {
          name: 'stale',
          description:
            "only nodes whose latest report was made longer ago than the stale threshold (the report's own time)",
        },
        INTERVAL,
        STALE,
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
        ...STORE_OPTIONS,
        { name: 'limit', value: 'N', description: 'at most N actions', default: '50' },
        TABLE_FORMAT,
      ],
      load: async () => (await import('../fleet-command.js')).fleetPlanCommand,
    },
    {
      name: 'revoke',
      summary: "a node's token stops working, for good",
      description:
        "Revokes the node's token: its reports are refused, and it cannot enrol back with the enrolment secret; only a re-key (fleet rekey) lets it in again.",
      args: NODE_ARG,
      options: STORE_OPTIONS,
      load: async () => (await import('../fleet-admin-command.js')).fleetRevokeCommand,
    },
    {
      name: 'rekey',
      summary: 'give a node a new identity, deliberately',
      description:
        "Retires the node's token at once and lets it enrol once more with the enrolment secret, within --within-hours and, with --from, only from that address; or, with --issue-token, prints a new token to install on the node (node-token, mode 0600).",
      args: NODE_ARG,
      options: [
        ...STORE_OPTIONS,
        WITHIN_HOURS,
        { name: 'from', value: 'ADDR', description: 'the IP address the node will enrol from' },
        { name: 'issue-token', description: 'print a new token instead of opening an enrolment' },
      ],
      load: async () => (await import('../fleet-admin-command.js')).fleetRekeyCommand,
    },
    {
      name: 'enrolments',
      summary: 'enrolments held for approval',
      description:
        'With fleet serve --reenroll approve, a second enrolment of a known host name waits here for fleet approve or fleet deny.',
      options: [...STORE_OPTIONS, { name: 'all', description: 'decided requests too' }],
      load: async () => (await import('../fleet-admin-command.js')).fleetEnrolmentsCommand,
    },
    {
      name: 'approve',
      summary: 'approve a held enrolment: the node re-keys from that address',
      description:
        "The node's old token stops working; the address that asked may enrol once within --within-hours.",
      args: { usage: 'ID', min: 1, max: 1, complete: 'none' },
      options: [...STORE_OPTIONS, WITHIN_HOURS],
      load: async () => (await import('../fleet-admin-command.js')).fleetApproveCommand,
    },
    {
      name: 'deny',
      summary: 'deny a held enrolment',
      description: 'The request is closed; the node keeps its token.',
      args: { usage: 'ID', min: 1, max: 1, complete: 'none' },
      options: STORE_OPTIONS,
      load: async () => (await import('../fleet-admin-command.js')).fleetDenyCommand,
    },
    {
      name: 'audit',
      summary: 'the audit trail: enrolments, refusals, revocations, re-keys',
      description:
        'Every enrolment and its outcome, refused secrets and host names, rate-limited enrolments, revocations, re-keys, approvals and refused reports, newest first, each with the peer address and who acted.',
      options: [
        ...STORE_OPTIONS,
        { name: 'node', value: 'NAME', description: 'only this node' },
        { name: 'limit', value: 'N', description: 'at most N events', default: '100' },
      ],
      load: async () => (await import('../fleet-admin-command.js')).fleetAuditCommand,
    },
    {
      name: 'prune',
      summary: 'forget nodes silent for a while, and older history',
      description:
        'Drops the state of nodes not heard from in D days, transitions and audit events older than that, counters at zero and actions no node needs.',
      options: [
        ...STORE_OPTIONS,
        { name: 'older-than-days', value: 'D', description: 'how long a node may be silent' },
      ],
      load: async () => (await import('../fleet-admin-command.js')).fleetPruneCommand,
    },
  ],
};
