// What the server itself knows about rules and vulnerabilities (its catalogue and advisory database): fleet-wide facts.
import { loadBuiltinAdvisories } from '../../advisories/load-advisories.js';
import { findRule } from '../../rules/catalogue.js';
import type { NodeReport } from '../validate-report.js';

/** Shown for an id the server's own database does not hold: a node's claim never becomes a fleet-wide fact. */
export const UNKNOWN_VULN_SUMMARY = "unknown: not in this server's advisory database";
export const UNKNOWN_RULE_TITLE = "unknown: not in this server's rule catalogue";

type ServerSeverity<T> = Omit<T, 'severity'> & { severity: string };
/** A report with the server's facts: a severity may be "unknown" (an id the server does not hold). */
export type FleetReport = Omit<NodeReport, 'findings' | 'vulnerabilities'> & {
  findings: ServerSeverity<NodeReport['findings'][number]>[];
  vulnerabilities: ServerSeverity<NodeReport['vulnerabilities'][number]>[];
};

let advisories: Map<string, { summary: string; severity: string }> | null = null;

/** Severity and summary from ctrsafe's built-in advisory database (ids and aliases), or "unknown". */
export function vulnFacts(id: string): { severity: string; summary: string; known: boolean } {
  if (!advisories) {
    advisories = new Map();
    for (const a of loadBuiltinAdvisories().advisories)
      for (const k of [a.id, ...a.aliases])
        advisories.set(k, { summary: a.summary, severity: a.ctrsafe.severity });
  }
  const a = advisories.get(id);
  return a ? { ...a, known: true } : { severity: 'unknown', summary: UNKNOWN_VULN_SUMMARY, known: false };
}

/** Severity, title and remediation from ctrsafe's rule catalogue, or "unknown". */
export function ruleFacts(id: string): {
  severity: string;
  title: string;
  remediation?: string;
  known: boolean;
} {
  const r = findRule(id);
  return r
    ? { severity: r.severity, title: r.title, remediation: r.remediation, known: true }
    : { severity: 'unknown', title: UNKNOWN_RULE_TITLE, known: false };
}

/**
 * The report with every fleet-wide fact replaced by the server's: vulnerability severity and summary, rule
 * severity, title and remediation. What is the node's own (its kernel, packages, versions, statuses) stays. The
 * patch plan, counters and weights are computed from this, so one node cannot call a critical CVE "low" for all,
 * nor name another node's action. The node's report as sent is stored beside it, unchanged.
 */
export function withServerFacts(r: NodeReport): FleetReport {
  return {
    ...r,
    findings: r.findings.map((f) => {
      const k = ruleFacts(f.id);
      const { title: _t, remediation: _r, ...rest } = f;
      return {
        ...rest,
        severity: k.severity,
        ...(k.known ? { title: k.title } : {}),
        ...(k.remediation ? { remediation: k.remediation } : {}),
      };
    }),
    vulnerabilities: r.vulnerabilities.map((v) => {
      const k = vulnFacts(v.id);
      const { summary: _s, ...rest } = v;
      return { ...rest, severity: k.severity, ...(k.known ? { summary: k.summary } : {}) };
    }),
  };
}
