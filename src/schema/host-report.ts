// The host report, ctrsafe.report/1, declared once: its TypeScript types, its runtime validation (fleet ingest, the
// gate) and its published JSON Schema (docs/schema/) all come from these declarations (TypeBox, issue 17).
//
// Bounds live here too, so that what `check` writes and what the fleet accepts cannot drift apart. A real report is
// 100-150 KB with about 30 findings, 30 vulnerabilities, 8 runtimes and 80 facts; the bounds leave room for growth
// while a report at every bound still costs the server milliseconds.
import { Type, type Static, type TSchema } from 'typebox';
import { Enum, Nullable } from './kinds.js';
import { REPORT_SCHEMA, RUNTIME_IDS, SEVERITIES, type RuntimeId } from './report-values.js';

/** The version of this document: bump it (and add a CHANGELOG line) whenever a declaration below changes. */
export const HOST_REPORT_VERSION = '1.0.0';

/** A non-empty string of at most `max` characters. */
const Text = (max: number, description?: string) =>
  Type.String({ minLength: 1, maxLength: max, ...(description ? { description } : {}) });
/** Any string of at most `max` characters, empty included (evidence, reasons, notes). */
const Prose = (max: number) => Type.String({ maxLength: max });
/** Identifiers that become keys, CSV cells and metric labels: printable ASCII without spaces or quotes. */
const Id = (max: number) =>
  Type.String({ minLength: 1, maxLength: max, pattern: '^[A-Za-z0-9][A-Za-z0-9._:+/-]*$' });

export const LIMITS = {
  /** A whole report, as sent or printed. */
  bytes: 16 * 1024 * 1024,
  runtimes: 64,
  findings: 2_000,
  vulnerabilities: 10_000,
  facts: 5_000,
  /** Any other list. */
  list: 10_000,
  /** Strings a node writes freely: evidence, reasons, references. */
  prose: 65_536,
} as const;
const List = <T extends TSchema>(t: T, max: number = LIMITS.list) => Type.Array(t, { maxItems: max });

export { REPORT_SCHEMA, RUNTIME_IDS, SEVERITIES, type RuntimeId };
export const Severity = Enum(SEVERITIES, "a rule's severity");
export type Severity = Static<typeof Severity>;
export const Risk = Enum(['none', 'low', 'medium', 'high', 'critical', 'unknown']);
export type Risk = Static<typeof Risk>;
export const TriState = Enum(['yes', 'no', 'unknown']);
export type TriState = Static<typeof TriState>;
/** How a fact was learned: a live probe beats a file, a file beats a version number. */
export const How = Enum(['probe', 'file', 'version']);
export type How = Static<typeof How>;
export const ContainerModel = Enum(['userns', 'setuid', 'both']);
export type ContainerModel = Static<typeof ContainerModel>;
export const RuntimeMode = Enum(['setuid', 'unprivileged']);
export type RuntimeMode = Static<typeof RuntimeMode>;

export const FactValue = Type.Union([
  Prose(LIMITS.prose),
  Type.Number(),
  Type.Boolean(),
  Type.Null(),
  List(Prose(LIMITS.prose)),
]);
export type FactValue = Static<typeof FactValue>;
export const Fact = Type.Object({
  id: Text(200),
  value: FactValue,
  how: How,
  evidence: Prose(LIMITS.prose),
});
export type Fact = Static<typeof Fact>;

export const Feature = Type.Object({
  id: Text(200),
  state: TriState,
  how: How,
  evidence: Prose(LIMITS.prose),
});
export type Feature = Static<typeof Feature>;

export const Reference = Type.Object({ title: Prose(1000), url: Prose(2000) });
export type Reference = Static<typeof Reference>;

export const FindingStatus = Enum(['pass', 'fail', 'unknown', 'not-applicable']);
export type FindingStatus = Static<typeof FindingStatus>;
export const Finding = Type.Object({
  id: Id(64),
  title: Prose(4000),
  severity: Severity,
  status: FindingStatus,
  evidence: Prose(4000),
  remediation: Prose(4000),
  references: List(Reference),
});
export type Finding = Static<typeof Finding>;

export const RuntimeVerdict = Type.Object({
  id: Enum(RUNTIME_IDS),
  name: Prose(200),
  installed: Type.Boolean(),
  version: Nullable(Text(200)),
  mode: Nullable(RuntimeMode),
  judged_mode: Nullable(RuntimeMode),
  ready: TriState,
  risk: Risk,
  reasons: List(Prose(LIMITS.prose)),
});
export type RuntimeVerdict = Static<typeof RuntimeVerdict>;

export const AcceleratorVerdict = Type.Object({
  runtime: Text(64),
  /** How a user asks this runtime for the device ("--nv", "--device nvidia.com/gpu=all"). */
  how: Prose(200),
  ready: TriState,
  reasons: List(Prose(LIMITS.prose)),
  remediation: List(Prose(LIMITS.prose)),
});
export type AcceleratorVerdict = Static<typeof AcceleratorVerdict>;

const sectionParts = {
  present: TriState,
  /** One line a system manager reads first. */
  summary: Prose(4000),
  devices: List(Prose(4096)),
  notes: List(Prose(LIMITS.prose)),
  problems: List(Prose(LIMITS.prose)),
  runtimes: List(AcceleratorVerdict, LIMITS.runtimes),
};
export const AcceleratorSection = Type.Object(sectionParts);
export type AcceleratorSection = Static<typeof AcceleratorSection>;
export const Memlock = Type.Union([Type.Number({ minimum: 0 }), Type.Literal('unlimited')]);
export type Memlock = Static<typeof Memlock>;
export const Accelerators = Type.Object({
  gpu: Type.Object({
    ...sectionParts,
    vendor: Nullable(Enum(['nvidia', 'amd'])),
    driver_version: Nullable(Text(200)),
    toolkit_version: Nullable(Text(200)),
    cdi_devices: List(Prose(4096)),
  }),
  rdma: Type.Object({
    ...sectionParts,
    memlock: Type.Object({ bytes: Nullable(Memlock), source: Nullable(Prose(4096)) }),
  }),
});
export type Accelerators = Static<typeof Accelerators>;

/** CISA's Known Exploited Vulnerabilities entry of a record. */
export const KnownExploited = Type.Object({ catalog: Text(200), date_added: Text(40) });
export type KnownExploited = Static<typeof KnownExploited>;
/** The version match alone: affected, fixed (at or past the fix), not-affected (never had the flaw), unknown. */
export const MatchStatus = Enum(['affected', 'fixed', 'not-affected', 'unknown']);
export type MatchStatus = Static<typeof MatchStatus>;
export const Exposure = Enum(['exploitable', 'mitigated', 'unknown']);
export type Exposure = Static<typeof Exposure>;
export const VulnerabilitySeverity = Enum(['low', 'medium', 'high', 'critical']);

/** What every verdict on an advisory carries: what it is about and what decided it (issue 12's evidence). */
const verdictParts = {
  id: Id(100),
  aliases: List(Id(100)),
  summary: Prose(2000),
  /** What on the host it applies to: a runtime id, a component (runc, newuidmap, ...) or "kernel". */
  target: Prose(2000),
  /** What decided, "release/package": "AlmaLinux:9/kernel", "Go/github.com/...", "Linux/Kernel". */
  package: Prose(2000),
  installed_version: Nullable(Prose(2000)),
  fixed_version: Nullable(Prose(2000)),
  /** The distribution's advisory (RHSA/ALSA/RLSA/DSA/DLA/USN/SUSE-SU) when its record decided. */
  advisory: Nullable(Prose(2000)),
  /** The data that decided, with publisher, repository and revision, or the host evidence. */
  decided_by: Prose(2000),
  source_date: Nullable(Prose(2000)),
  known_exploited: Nullable(KnownExploited),
  severity: VulnerabilitySeverity,
  reason: Prose(LIMITS.prose),
  references: List(Prose(4096)),
};
export const Vulnerability = Type.Object({
  ...verdictParts,
  /** affected: the version is affected and nothing here blocks it; mitigated: this host's configuration blocks it. */
  status: Enum(['affected', 'mitigated', 'unknown']),
  /** The version match alone, and the exposure alone, that the status combines. */
  match: MatchStatus,
  exposure: Exposure,
  preconditions: Type.Object({
    setuid_mode: Type.Optional(Type.Boolean()),
    unprivileged_userns: Type.Optional(Type.Boolean()),
  }),
  reasons: List(Prose(LIMITS.prose)),
});
export type Vulnerability = Static<typeof Vulnerability>;
/** A verdict that needs nothing done: the installed version carries the fix, or never had the flaw. */
export const Resolved = Type.Object({ ...verdictParts, status: Enum(['fixed', 'not-affected']) });
export type Resolved = Static<typeof Resolved>;

const count = Type.Integer({ minimum: 0 });
export const VulnerabilitySummary = Type.Object({
  target: Prose(2000),
  installed_version: Nullable(Prose(2000)),
  affected: count,
  mitigated: count,
  unknown: count,
  fixed: count,
  not_affected: count,
});
export type VulnerabilitySummary = Static<typeof VulnerabilitySummary>;

export const Kernel = Type.Object({
  release: Nullable(Text(200)),
  distro_kernel: Type.Boolean(),
  family: Nullable(Text(200)),
});
export const Os = Type.Object({
  id: Nullable(Text(200)),
  version_id: Nullable(Text(200)),
  pretty_name: Nullable(Text(200)),
});
export const Host = Type.Object({
  hostname: Nullable(Text(253)),
  source: Enum(['live', 'root']),
  root: Nullable(Prose(4096)),
  kernel: Kernel,
  os: Os,
  container: Type.Object({ inside: Type.Boolean(), kind: Nullable(Text(200)) }),
  probe_user: Nullable(Text(200)),
});

export const HostReport = Type.Object(
  {
    schema: Type.Literal(REPORT_SCHEMA),
    /** Unique per run, so a report delivered twice (spool, shared file system, fan-out) is stored once. */
    report_id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' }),
    tool: Type.Object({ name: Type.Literal('ctrsafe'), version: Text(100) }),
    generated_at: Type.String({ minLength: 1, maxLength: 40, format: 'date-time' }),
    host: Host,
    model: Type.Object({
      value: ContainerModel,
      how: Enum(['option', 'inferred']),
      evidence: Prose(4000),
    }),
    features: List(Feature),
    runtimes: List(RuntimeVerdict, LIMITS.runtimes),
    /** GPU and RDMA readiness per installed runtime (issue 19). */
    accelerators: Accelerators,
    findings: List(Finding, LIMITS.findings),
    vulnerabilities: List(Vulnerability, LIMITS.vulnerabilities),
    /** Verdicts that need nothing done (fixed, not affected), with what decided them: shown by --all. */
    resolved: List(Resolved, LIMITS.vulnerabilities),
    /** Per target (kernel, runtime, component): how many advisories are affected, fixed, unknown, ... */
    vulnerability_summary: List(VulnerabilitySummary),
    advisories: Type.Object({
      source: Prose(4096),
      count,
      not_affected: count,
      newest_record: Nullable(Prose(40)),
      age_days: Nullable(Type.Integer()),
      stale: Type.Boolean(),
      /** The oldest date of the data that decided a verdict here: how current the answers are. */
      oldest_decision_data: Nullable(Prose(40)),
      problems: List(Prose(LIMITS.prose)),
    }),
    summary: Type.Object({
      fail: Type.Record(Type.String(), count),
      unknown: count,
      pass: count,
    }),
    facts: List(Fact, LIMITS.facts),
    problems: List(Prose(LIMITS.prose)),
  },
  {
    title: 'ctrsafe host report',
    description: 'What `ctrsafe check --format json` writes and `ctrsafe fleet` stores: one host, one run.',
  },
);
export type HostReport = Static<typeof HostReport>;
