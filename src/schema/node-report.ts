// The readers' views of the host report, derived from its declarations (host-report.ts): what the fleet accepts from
// a node and what the gate judges. The fields a reader uses are required; every other declared field is optional
// but checked when present; fields this build does not know pass (a newer node's additions), bounded by the fleet's
// generic walk. A field added to the report is therefore seen by every reader without another edit.
import { Type, type Static } from 'typebox';
import * as Declared from './host-report.js';
import { requireOnly } from './require-only.js';

/** The declarations a view is derived from: the report's own, or a test's variant of them. */
export type ReportParts = Pick<
  typeof Declared,
  'HostReport' | 'Host' | 'Kernel' | 'Os' | 'RuntimeVerdict' | 'Finding' | 'Vulnerability' | 'LIMITS'
>;

/** What the fleet accepts from a node (fleet ingest: HTTP, spool directories, `fleet collect`). */
export function nodeReportOf(p: ReportParts) {
  const H = p.HostReport.properties;
  return Type.Intersect(
    [
      Type.Object({
        schema: H.schema,
        report_id: H.report_id,
        generated_at: H.generated_at,
        host: Type.Intersect([
          Type.Object({
            // Its charset, labels and length are the fleet's one hostname rule (src/fleet/hostname.ts).
            hostname: Type.String(),
            kernel: requireOnly(p.Kernel, ['release']),
            os: requireOnly(p.Os, ['id', 'version_id']),
          }),
          Type.Partial(Type.Omit(p.Host, ['hostname', 'kernel', 'os'])),
        ]),
        runtimes: Type.Array(requireOnly(p.RuntimeVerdict, ['id', 'ready', 'risk']), {
          maxItems: p.LIMITS.runtimes,
        }),
        findings: Type.Array(requireOnly(p.Finding, ['id', 'severity', 'status']), {
          maxItems: p.LIMITS.findings,
        }),
      }),
      Type.Object({
        vulnerabilities: Type.Optional(
          Type.Array(requireOnly(p.Vulnerability, ['id', 'status', 'severity']), {
            maxItems: p.LIMITS.vulnerabilities,
          }),
        ),
      }),
      Type.Partial(
        Type.Omit(p.HostReport, [
          'schema',
          'report_id',
          'generated_at',
          'host',
          'runtimes',
          'findings',
          'vulnerabilities',
        ]),
      ),
    ],
    { title: 'ctrsafe host report, as the fleet accepts it' },
  );
}

/** What the gate judges (src/gate/evaluate-gate.ts), checked when the gate reads its check's output. */
export function gateInputOf(p: ReportParts) {
  return Type.Object(
    {
      runtimes: Type.Array(requireOnly(p.RuntimeVerdict, ['id', 'ready', 'reasons']), {
        maxItems: p.LIMITS.runtimes,
      }),
      findings: Type.Array(requireOnly(p.Finding, ['id', 'title', 'severity', 'status']), {
        maxItems: p.LIMITS.findings,
      }),
      vulnerabilities: Type.Array(requireOnly(p.Vulnerability, ['id', 'status', 'severity']), {
        maxItems: p.LIMITS.vulnerabilities,
      }),
    },
    { title: 'the parts of a ctrsafe host report the gate judges' },
  );
}

export const NodeReport = nodeReportOf(Declared);
type Accepted = Static<typeof NodeReport>;
/** A report as the fleet holds it after validation: a missing vulnerability list reads as an empty one. */
export type NodeReport = Omit<Accepted, 'vulnerabilities'> & {
  vulnerabilities: NonNullable<Accepted['vulnerabilities']>;
};

export const GateInput = gateInputOf(Declared);
export type GateInput = Static<typeof GateInput>;
