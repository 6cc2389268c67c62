// Narrows a report to what the operator asked to count (pure): the severities of --severity, minus what the ignore
// file sets aside. Passing findings stay; what was set aside is listed with its reason, never silently dropped.
import type { Severity } from '../rules/rule.js';
import { applyIgnores, type IgnoreEntry, type IgnoreOutcome } from './apply-ignores.js';
import type { Report } from './build-report.js';

export interface NarrowedReport extends Report {
  ignored?: IgnoreOutcome;
  severities?: Severity[];
}

export function narrowReport(
  r: Report,
  severities: ReadonlySet<Severity>,
  ignores: readonly IgnoreEntry[],
  now: Date,
): NarrowedReport {
  const all = severities.size === 5;
  const counted = <T extends { severity: string }>(xs: readonly T[], keep: (x: T) => boolean) =>
    xs.filter((x) => keep(x) || severities.has(x.severity as Severity));
  const host = r.host.hostname ?? '';
  const f = applyIgnores(
    counted(r.findings, (x) => 'status' in x && (x as { status: string }).status === 'pass'),
    (x) => [x.id],
    ignores,
    host,
    now,
  );
  const v = applyIgnores(
    counted(r.vulnerabilities, () => false),
    (x) => [x.id, ...x.aliases],
    ignores,
    host,
    now,
  );
  if (all && ignores.length === 0) return r;
  const fail: Record<string, number> = {};
  for (const x of f.kept) if (x.status === 'fail') fail[x.severity] = (fail[x.severity] ?? 0) + 1;
  return {
    ...r,
    findings: f.kept,
    vulnerabilities: v.kept,
    summary: {
      fail,
      unknown: f.kept.filter((x) => x.status === 'unknown').length,
      pass: f.kept.filter((x) => x.status === 'pass').length,
    },
    ...(ignores.length
      ? {
          ignored: {
            applied: mergeApplied(f.outcome, v.outcome),
            expired: f.outcome.expired,
          },
        }
      : {}),
    ...(all ? {} : { severities: [...severities] }),
  };
}

function mergeApplied(a: IgnoreOutcome, b: IgnoreOutcome): IgnoreOutcome['applied'] {
  const byWhere = new Map<string, IgnoreOutcome['applied'][number]>();
  for (const x of [...a.applied, ...b.applied]) {
    const prev = byWhere.get(x.where);
    byWhere.set(x.where, prev ? { ...prev, matched: prev.matched + x.matched } : x);
  }
  return [...byWhere.values()];
}
