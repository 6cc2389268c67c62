// Turns advisory matches and their exposure into the report's vulnerabilities and resolved verdicts (pure).
import type { Advisory } from '../advisories/advisory.js';
import type { DistroFixSource } from '../advisories/distro-fix.js';
import { judgeExposure } from '../advisories/judge-exposure.js';
import { matchAdvisories, type Match } from '../advisories/match-advisories.js';
import type { Facts } from '../facts/fact.js';
import type { KnownExploited, Resolved, Vulnerability } from '../schema/host-report.js';

export type { KnownExploited, Resolved, Vulnerability };
/** What every verdict carries (the schema's verdict parts). */
type Verdict = Omit<Resolved, 'status'>;

/** The known-exploited mark, as the data builder writes it into a reviewed record (issue 12). */
function knownExploited(a: Advisory): KnownExploited | null {
  const k = (a.ctrsafe as { known_exploited?: unknown }).known_exploited;
  if (typeof k !== 'object' || k === null) return null;
  const { catalog, date_added } = k as Record<string, unknown>;
  return typeof catalog === 'string' && typeof date_added === 'string' ? { catalog, date_added } : null;
}

function common(m: Match): Verdict {
  return {
    id: m.advisory.id,
    aliases: m.advisory.aliases,
    summary: m.advisory.summary,
    target: m.target,
    package: m.package,
    installed_version: m.installed_version,
    fixed_version: m.fixed_version,
    advisory: m.distro_advisory,
    decided_by: m.decided_by,
    source_date: m.source_date,
    known_exploited: knownExploited(m.advisory),
    severity: m.advisory.ctrsafe.severity,
    reason: m.reason,
    references: m.advisory.references.map((r) => r.url).slice(0, 5),
  };
}

export function buildVulnerabilities(
  advisories: readonly Advisory[],
  facts: Facts,
  // The distributions' own verdicts; they decide distribution packages (issue 12).
  distro: readonly DistroFixSource[] = [],
): { vulnerabilities: Vulnerability[]; resolved: Resolved[]; notAffected: number } {
  const matches = matchAdvisories(advisories, facts, distro);
  const vulnerabilities: Vulnerability[] = [];
  const resolved: Resolved[] = [];
  for (const m of matches) {
    if (m.status === 'fixed' || m.status === 'not-affected') {
      resolved.push({ ...common(m), status: m.status });
      continue;
    }
    const j = judgeExposure(m, facts);
    const pre = m.advisory.ctrsafe.preconditions;
    const reasons = [m.reason, ...j.reasons];
    vulnerabilities.push({
      ...common(m),
      status: j.exposure === 'mitigated' ? 'mitigated' : m.status === 'affected' ? 'affected' : 'unknown',
      match: m.status,
      exposure: j.exposure,
      preconditions: {
        ...(pre.setuid_mode !== undefined ? { setuid_mode: pre.setuid_mode } : {}),
        ...(pre.unprivileged_userns !== undefined ? { unprivileged_userns: pre.unprivileged_userns } : {}),
      },
      reason: reasons.join('; '),
      reasons,
    });
  }
  return { vulnerabilities, resolved, notAffected: resolved.length };
}
