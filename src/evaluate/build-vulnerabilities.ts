// Turns advisory matches and their exposure into the report's vulnerabilities (pure).
import type { Advisory } from '../advisories/advisory.js';
import type { DistroFixSource } from '../advisories/distro-fix.js';
import { judgeExposure, type Exposure } from '../advisories/judge-exposure.js';
import { matchAdvisories, type MatchStatus } from '../advisories/match-advisories.js';
import type { Facts } from '../facts/fact.js';

export interface Vulnerability {
  id: string;
  aliases: string[];
  summary: string;
  /** What on the host it applies to: a runtime id, a component (runc, newuidmap, ...) or "kernel". */
  target: string;
  /** The advisory entry that decided, "ecosystem/name". */
  package: string;
  installed_version: string | null;
  fixed_version: string | null;
  /** affected: the version is affected and nothing here blocks it; mitigated: this host's configuration blocks it. */
  status: 'affected' | 'mitigated' | 'unknown';
  /** The version match alone, and the exposure alone, that the status combines. */
  match: MatchStatus;
  exposure: Exposure;
  severity: 'low' | 'medium' | 'high' | 'critical';
  preconditions: { setuid_mode?: boolean; unprivileged_userns?: boolean };
  reason: string;
  reasons: string[];
  references: string[];
}

export function buildVulnerabilities(
  advisories: readonly Advisory[],
  facts: Facts,
  // The distributions' own verdicts; the matcher decides distribution packages from them (issue 12).
  _distro: readonly DistroFixSource[] = [],
): { vulnerabilities: Vulnerability[]; notAffected: number } {
  const matches = matchAdvisories(advisories, facts);
  const vulnerabilities = matches
    .filter((m) => m.status !== 'not-affected')
    .map((m): Vulnerability => {
      const j = judgeExposure(m, facts);
      const pre = m.advisory.ctrsafe.preconditions;
      const status =
        j.exposure === 'mitigated' ? 'mitigated' : m.status === 'affected' ? 'affected' : 'unknown';
      const reasons = [m.reason, ...j.reasons];
      return {
        id: m.advisory.id,
        aliases: m.advisory.aliases,
        summary: m.advisory.summary,
        target: m.target,
        package: m.package,
        installed_version: m.installed_version,
        fixed_version: m.fixed_version,
        status,
        match: m.status,
        exposure: j.exposure,
        severity: m.advisory.ctrsafe.severity,
        preconditions: {
          ...(pre.setuid_mode !== undefined ? { setuid_mode: pre.setuid_mode } : {}),
          ...(pre.unprivileged_userns !== undefined ? { unprivileged_userns: pre.unprivileged_userns } : {}),
        },
        reason: reasons.join('; '),
        reasons,
        references: m.advisory.references.map((r) => r.url).slice(0, 5),
      };
    });
  return { vulnerabilities, notAffected: matches.length - vulnerabilities.length };
}
