// The fleet API's answers (`ctrsafe fleet serve`, /api/v1/...), declared once: the server builds exactly these types,
// the store reads its rows as them, the CLI and the dashboard render them, and docs/schema/ publishes them (TypeBox).
// Times are milliseconds since the epoch (UTC), as the store keeps them.
import { Type, type Static, type TObject, type TProperties } from 'typebox';
import { Enum, Nullable } from './kinds.js';
import { RUNTIME_VERDICTS } from './report-values.js';

/** The version of these answers: bump it (and add a CHANGELOG line) whenever a declaration below changes. */
export const FLEET_API_VERSION = '1.2.0';

/** An answer holds exactly its declared fields: a field the server adds without declaring it fails the tests. */
const Body = <P extends TProperties>(properties: P, description?: string): TObject<P> =>
  Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });
const Count = Type.Integer({ minimum: 0 });
const Millis = Type.Integer({ description: 'milliseconds since the epoch (UTC)' });
/** Nodes per key (a runtime's readiness or verdict, a severity). */
const Counts = Type.Record(Type.String(), Count);

export const RuntimeVerdict = Enum(RUNTIME_VERDICTS, 'the fleet word for a runtime on a node');

/** One node as the node table lists it: its latest report's head and its counts. */
export const NodeRow = Body({
  hostname: Type.String(),
  report_id: Type.String(),
  /** When the node made its latest report (its own clock), and when the server received it. */
  generated_at: Millis,
  received_at: Millis,
  kernel_release: Nullable(Type.String()),
  /** "<id> <version_id>" of the node's distribution. */
  os: Nullable(Type.String()),
  fail_critical: Count,
  fail_high: Count,
  vulns_affected: Count,
});
export type NodeRow = Static<typeof NodeRow>;

/** GET /api/v1/summary: the first page's numbers, from the fleet's counters. */
export const Summary = Body(
  {
    nodes: Count,
    stale: Count,
    /** Nodes failing at least one critical rule, and nodes with at least one affected vulnerability. */
    critical_nodes: Count,
    vulnerable_nodes: Count,
    /** Nodes per runtime and readiness (yes, no, unknown) as the nodes reported it. */
    readiness: Type.Record(Type.String(), Counts),
    /** Nodes per runtime and verdict (ready, degraded, blocked, unknown, not-installed). */
    verdicts: Type.Record(Type.String(), Counts),
    /** Nodes with at least one affected vulnerability of each severity (the server's severity). */
    severity_nodes: Counts,
    /**
     * GPU and RDMA (issue 19), per device kind: nodes by whether the device is present (yes, no, unknown), and nodes
     * with the device by runtime and readiness (yes, no, unknown). Nodes whose report predates the section are in
     * neither.
     */
    accelerators: Type.Record(
      Type.String(),
      Body({ present: Counts, ready: Type.Record(Type.String(), Counts) }),
    ),
    /** The hundred kernel releases on most nodes; null: nodes whose report named none. */
    kernels: Type.Array(Body({ release: Nullable(Type.String()), nodes: Count })),
    /** The hundred vulnerabilities on most nodes, with the server's own severity and summary. */
    vulnerabilities: Type.Array(
      Body({
        id: Type.String(),
        affected: Count,
        unknown: Count,
        mitigated: Count,
        severity: Type.String(),
        summary: Type.String(),
      }),
    ),
    /** The hundred failing rules on most nodes. */
    rules: Type.Array(
      Body({ id: Type.String(), title: Type.String(), severity: Type.String(), failing: Count }),
    ),
  },
  'GET /api/v1/summary',
);
export type Summary = Static<typeof Summary>;

/** GET /api/v1/nodes: a page of the node table with its filters. */
export const NodesPage = Body(
  {
    total: Count,
    nodes: Type.Array(NodeRow),
    /** Nodes whose latest report was made before this time are stale. */
    stale_before: Millis,
  },
  'GET /api/v1/nodes',
);
export type NodesPage = Static<typeof NodesPage>;

/** One action of the patch plan, across the nodes that need it. */
export const PlanItem = Body({
  rank: Type.Integer({ minimum: 1 }),
  key: Type.String(),
  kind: Type.String(),
  title: Type.String(),
  fixes: Type.Array(Type.String()),
  nodes: Count,
  /** Risk removed across the fleet: the sum over nodes of the severity weights this action fixes. */
  weight: Type.Number(),
  hostlist: Type.String(),
  /** True when the hostlist names only the first 5,000 nodes. */
  hostlist_truncated: Type.Boolean(),
  /** Nodes whose names are not plain host names: left out of the hostlist (pdsh, scontrol), listed by the table. */
  hostlist_excluded: Count,
});
export type PlanItem = Static<typeof PlanItem>;

/** GET /api/v1/plan: the patch plan, the most risk removed first. */
export const PlanPage = Body({ total: Count, items: Type.Array(PlanItem) }, 'GET /api/v1/plan');
export type PlanPage = Static<typeof PlanPage>;

/** One change on a node between two of its reports. */
const Change = {
  at: Millis,
  /** What changed: "kernel", "runtime:apptainer", "vuln:CVE-...", "rule:CS-K001", ... */
  subject: Type.String(),
  old_value: Nullable(Type.String()),
  new_value: Nullable(Type.String()),
};
export const DriftRow = Body({ hostname: Type.String(), ...Change });
export type DriftRow = Static<typeof DriftRow>;
export const Transition = Body(Change);
export type Transition = Static<typeof Transition>;

/** GET /api/v1/drift: what changed across the fleet, newest first; paged by has_more rather than a count. */
export const DriftPage = Body({ rows: Type.Array(DriftRow), has_more: Type.Boolean() }, 'GET /api/v1/drift');
export type DriftPage = Static<typeof DriftPage>;

export const NodeAction = Body({
  key: Type.String(),
  kind: Type.String(),
  title: Type.String(),
  weight: Type.Number(),
});
export type NodeAction = Static<typeof NodeAction>;

/** GET /api/v1/nodes/NAME: one node, its latest report as it sent it, what it needs and what changed on it. */
export const NodeDetail = Body(
  {
    row: NodeRow,
    /** The node's own report (ctrsafe.report-1.fleet-ingest.json when it arrived): untrusted text. */
    report: Type.Record(Type.String(), Type.Unknown()),
    stale: Type.Boolean(),
    /** Its plan actions, heaviest first. */
    actions: Type.Array(NodeAction),
    /** Its latest 200 changes, newest first. */
    transitions: Type.Array(Transition),
  },
  'GET /api/v1/nodes/NAME',
);
export type NodeDetail = Static<typeof NodeDetail>;

const RuntimeCell = Body({ verdict: RuntimeVerdict, why: Nullable(Type.String()) });
/** A device kind on one node: whether it is present, and each runtime's verdict for it and why. */
const DeviceView = Body({ present: Type.String(), runtimes: Type.Record(Type.String(), RuntimeCell) });

/** A node's runtime verdicts and partitions, as the matrix and the partition grid read them. */
export const NodeView = Type.Object({
  partitions: Type.Array(Type.String()),
  runtimes: Type.Record(Type.String(), RuntimeCell),
  /** GPU and RDMA readiness (issue 19); absent or empty for a report made before it. */
  accelerators: Type.Optional(Body({ gpu: Type.Optional(DeviceView), rdma: Type.Optional(DeviceView) })),
});
export type NodeView = Static<typeof NodeView>;

/** GET /api/v1/summary/SECTION: one section of the summary, as the summary holds it (also as CSV, ?format=csv). */
export const SUMMARY_SECTIONS = {
  readiness: Type.Record(Type.String(), Counts, { description: 'GET /api/v1/summary/readiness' }),
  kernels: { ...Summary.properties.kernels, description: 'GET /api/v1/summary/kernels' },
  vulnerabilities: {
    ...Summary.properties.vulnerabilities,
    description: 'GET /api/v1/summary/vulnerabilities',
  },
  rules: { ...Summary.properties.rules, description: 'GET /api/v1/summary/rules' },
} as const;
export type SummarySection = keyof typeof SUMMARY_SECTIONS;

/** A cell of a chart's table: text, or a link inside the dashboard; `code` in monospace, a `hostlist` breaks after commas only. */
export const ChartCell = Type.Union([
  Type.String(),
  Type.Number(),
  Body({
    text: Type.String(),
    href: Type.Optional(Type.String()),
    code: Type.Optional(Type.Boolean()),
    hostlist: Type.Optional(Type.Boolean()),
  }),
]);
export type ChartCell = Static<typeof ChartCell>;

/** One chart of the overview, drawn on the server: its picture, the picture in words, and the table behind it. */
export const ChartPanel = Body({
  id: Type.String(),
  title: Type.String(),
  /** SVG text (no script, no style attribute); the page keeps only its allowlisted elements before showing it. */
  svg: Type.String(),
  /** The chart in words: its text alternative. */
  alt: Type.String(),
  columns: Type.Array(Type.String()),
  rows: Type.Array(Type.Array(ChartCell)),
});
export type ChartPanel = Static<typeof ChartPanel>;

/** GET /api/v1/overview: the first screen, the cards' counts and every chart (the trends over 30 or 90 days). */
export const Overview = Body(
  {
    nodes: Count,
    stale: Count,
    critical_nodes: Count,
    vulnerable_nodes: Count,
    days: Type.Union([Type.Literal(30), Type.Literal(90)]),
    charts: Type.Array(ChartPanel),
  },
  'GET /api/v1/overview',
);
export type Overview = Static<typeof Overview>;

/** A row of the node x runtime matrix: a node's view with its name. */
export const MatrixNode = Body({
  hostname: Type.String(),
  ...NodeView.properties,
  /**
   * With ?device=: whether the node has that device ("yes", "no", "unknown"), or null when its report predates the
   * section; the runtimes are then their readiness for the device.
   */
  present: Type.Optional(Nullable(Type.String())),
});
export type MatrixNode = Static<typeof MatrixNode>;

/** GET /api/v1/matrix: a page of nodes (the node table's filters), a column per runtime, installed ones first. */
export const MatrixPage = Body(
  {
    total: Count,
    nodes: Type.Array(MatrixNode),
    runtimes: Type.Array(Type.String()),
    /** ?device=gpu|rdma: the view of that device's readiness (issue 19). */
    device: Type.Optional(Enum(['gpu', 'rdma'])),
  },
  'GET /api/v1/matrix',
);
export type MatrixPage = Static<typeof MatrixPage>;

/** Index into a list of the answer, or -1 for none. */
const Index = Type.Integer({ minimum: -1 });
/**
 * A grid cell, [hostname, verdict index, reason index], as a JSON Schema 2020-12 tuple (prefixItems): TypeBox's
 * Tuple writes the draft-07 form (an `items` array), which the published file's dialect refuses.
 */
const GridCell = Type.Unsafe<[string, number, number]>({
  type: 'array',
  prefixItems: [Type.String(), Index, Index],
  items: false,
  minItems: 3,
});

/** GET /api/v1/grid: every node by one runtime's verdict, per Slurm partition; each reason said once. */
export const PartitionGrid = Body(
  {
    runtime: Type.String(),
    verdicts: Type.Array(RuntimeVerdict),
    /** Each distinct reason once; cells point into it (thousands of nodes share a handful of reasons). */
    reasons: Type.Array(Type.String()),
    /** Partitions by name, the nodes without one last. */
    partitions: Type.Array(
      Body({
        name: Type.String(),
        /** Nodes per verdict, and "not reported". */
        counts: Counts,
        /** [hostname, index into verdicts (-1: not reported), index into reasons (-1: none)], by host name. */
        nodes: Type.Array(GridCell),
      }),
    ),
    total: Count,
  },
  'GET /api/v1/grid',
);
export type PartitionGrid = Static<typeof PartitionGrid>;

/** One entry of the audit trail: who did what to which node, from where. */
export const AuditEntry = Body({
  id: Type.Integer({ minimum: 1 }),
  at: Millis,
  /** "node", "admin", "cli:<user>", "collect". */
  actor: Type.String(),
  action: Type.String(),
  hostname: Nullable(Type.String()),
  peer: Nullable(Type.String()),
  detail: Nullable(Type.String()),
});
export type AuditEntry = Static<typeof AuditEntry>;

/** GET /api/v1/audit: the audit trail, newest first (?node=, ?limit=). */
export const AuditTrail = Body({ events: Type.Array(AuditEntry) }, 'GET /api/v1/audit');
export type AuditTrail = Static<typeof AuditTrail>;

/** POST /api/v1/enroll, 201: the node's token, shown once (the server keeps only its hash). */
export const Enrolled = Body({ node_token: Type.String({ minLength: 1 }) }, 'POST /api/v1/enroll (201)');
export type Enrolled = Static<typeof Enrolled>;

/** POST /api/v1/enroll, 202: a second enrolment of a known host name, held for an administrator. */
export const EnrolmentHeld = Body(
  { error: Type.String(), request: Type.Integer({ minimum: 1 }) },
  'POST /api/v1/enroll (202)',
);
export type EnrolmentHeld = Static<typeof EnrolmentHeld>;

/** POST /api/v1/nodes/NAME/rekey: a token issued now (201), or an enrolment window opened (200). */
export const Rekeyed = Type.Union(
  [
    Body({ rekeyed: Type.String(), node_token: Type.String({ minLength: 1 }) }),
    Body({
      rekeyed: Type.String(),
      /** ISO 8601: the node may enrol again until then. */
      enrol_until: Type.String(),
      /** The address it must enrol from, or null for any. */
      from: Nullable(Type.String()),
    }),
  ],
  { description: 'POST /api/v1/nodes/NAME/rekey' },
);
export type Rekeyed = Static<typeof Rekeyed>;

/** DELETE /api/v1/nodes/NAME/token. */
export const Revoked = Body({ revoked: Type.String() }, 'DELETE /api/v1/nodes/NAME/token');
export type Revoked = Static<typeof Revoked>;

/** A held enrolment; POST /api/v1/enrolments/ID/approve (or deny) answers the one it decided. */
export const EnrolmentRequest = Body({
  id: Type.Integer({ minimum: 1 }),
  hostname: Type.String(),
  peer: Type.String(),
  at: Millis,
  status: Enum(['pending', 'approved', 'denied']),
  decided_at: Nullable(Millis),
  decided_by: Nullable(Type.String()),
});
export type EnrolmentRequest = Static<typeof EnrolmentRequest>;

/** GET /api/v1/enrolments: the held enrolments, newest first. */
export const EnrolmentRequests = Body({ requests: Type.Array(EnrolmentRequest) }, 'GET /api/v1/enrolments');
export type EnrolmentRequests = Static<typeof EnrolmentRequests>;

/** POST /api/v1/reports: stored (201), or a duplicate or older report (200, not stored). */
export const ReportAnswer = Body(
  { stored: Type.Boolean(), note: Type.Optional(Enum(['duplicate', 'older'])), report_id: Type.String() },
  'POST /api/v1/reports (200, 201)',
);
export type ReportAnswer = Static<typeof ReportAnswer>;

/** Every refusal and failure (4xx, 5xx): one line that says why. */
export const ErrorAnswer = Body({ error: Type.String() }, 'any 4xx or 5xx answer');
export type ErrorAnswer = Static<typeof ErrorAnswer>;

/** The answers published, by the name of their file (docs/schema/ctrsafe.fleet-api-1.NAME.json). */
export const FLEET_API_BODIES = {
  summary: Summary,
  'summary-readiness': SUMMARY_SECTIONS.readiness,
  'summary-kernels': SUMMARY_SECTIONS.kernels,
  'summary-vulnerabilities': SUMMARY_SECTIONS.vulnerabilities,
  'summary-rules': SUMMARY_SECTIONS.rules,
  overview: Overview,
  matrix: MatrixPage,
  grid: PartitionGrid,
  audit: AuditTrail,
  nodes: NodesPage,
  node: NodeDetail,
  plan: PlanPage,
  drift: DriftPage,
  enrolled: Enrolled,
  'enrolment-held': EnrolmentHeld,
  rekeyed: Rekeyed,
  revoked: Revoked,
  enrolments: EnrolmentRequests,
  enrolment: EnrolmentRequest,
  report: ReportAnswer,
  error: ErrorAnswer,
} as const;
