// The fleet API's answers (`ctrsafe fleet serve`, /api/v1/...), declared once: the server builds exactly these types,
// the store reads its rows as them, the CLI and the dashboard render them, and docs/schema/ publishes them (TypeBox).
// Times are milliseconds since the epoch (UTC), as the store keeps them.
import { Type, type Static, type TObject, type TProperties } from 'typebox';
import { Enum, Nullable } from './kinds.js';
import { RUNTIME_VERDICTS } from './report-values.js';

/** The version of these answers: bump it (and add a CHANGELOG line) whenever a declaration below changes. */
export const FLEET_API_VERSION = '1.1.0';

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
