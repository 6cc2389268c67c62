// Turns OSV records from outside (osv.dev exports, GHSA, vulndb, distribution feeds) into ctrsafe advisories.
import { parseAdvisory, type Advisory } from './advisory.js';
import { cvss3BaseScore, severityOfScore } from './cvss.js';
import { targetsFor } from './osv-targets.js';

/** The OSV schema's ecosystems (ossf.github.io/osv-schema, "Defined ecosystems") that can name what ctrsafe checks, plus ctrsafe's own. */
const KNOWN_ECOSYSTEMS = new Set([
  'Go',
  'Linux',
  'Debian',
  'Ubuntu',
  'Red Hat',
  'AlmaLinux',
  'Rocky Linux',
  'SUSE',
  'openSUSE',
  'Alpine',
  'Wolfi',
  'Chainguard',
  'GIT',
  'npm',
  'PyPI',
  'crates.io',
  'Maven',
  'NuGet',
  'RubyGems',
  'Packagist',
  'Pub',
  'Hex',
  'Hackage',
  'CRAN',
  'SwiftURL',
  'Bitnami',
  'Android',
  'GSD',
  'OSS-Fuzz',
  'Photon OS',
  'Mageia',
  'openEuler',
  'MinimOS',
  'Echo',
  'ctrsafe:upstream',
]);

export type ImportResult =
  | { kind: 'advisory'; advisory: Advisory }
  | { kind: 'skipped'; id: string; reason: string }
  | { kind: 'invalid'; id: string; reason: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The source's database_specific without ctrsafe's own keys, which only ctrsafe may write. */
function withoutCtrsafe(ds: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(ds).filter(([k]) => !k.startsWith('ctrsafe')));
}

const GHSA_SEVERITY: Record<string, 'low' | 'medium' | 'high' | 'critical'> = {
  LOW: 'low',
  MODERATE: 'medium',
  MEDIUM: 'medium',
  HIGH: 'high',
  CRITICAL: 'critical',
};

function severityOf(raw: Record<string, unknown>): {
  severity: 'low' | 'medium' | 'high' | 'critical';
  note?: string;
} {
  for (const s of Array.isArray(raw.severity) ? raw.severity : []) {
    if (isRecord(s) && typeof s.score === 'string' && /^CVSS_V3/.test(String(s.type))) {
      const score = cvss3BaseScore(s.score);
      const sev = score === null ? null : severityOfScore(score);
      if (sev) return { severity: sev };
    }
  }
  const ds = isRecord(raw.database_specific) ? raw.database_specific : {};
  const ghsa = GHSA_SEVERITY[String(ds.severity ?? '').toUpperCase()];
  if (ghsa) return { severity: ghsa };
  return {
    severity: 'medium',
    note: 'the source gives no CVSS v3 vector or severity; ctrsafe assumes medium',
  };
}

/** Clock skew tolerated before a record's date counts as "in the future". */
const FUTURE_MS = 24 * 3600 * 1000;

/**
 * Validates the OSV shape, keeps only entries that name something ctrsafe checks, and adds ctrsafe's fields. A
 * record's own database_specific.ctrsafe is never trusted (an import is never "reviewed": severity, preconditions and
 * known_exploited are ctrsafe's to state), and a record dated in the future is refused (it would hide staleness).
 */
export function importOsvRecord(raw: unknown, sourceLabel: string, now: Date = new Date()): ImportResult {
  if (!isRecord(raw)) return { kind: 'invalid', id: '?', reason: 'not a JSON object' };
  const id = typeof raw.id === 'string' ? raw.id.slice(0, 100) : '?';
  if (id === '?') return { kind: 'invalid', id, reason: 'missing "id"' };
  for (const k of ['published', 'modified'] as const) {
    const t = typeof raw[k] === 'string' ? Date.parse(raw[k]) : NaN;
    if (!Number.isNaN(t) && t > now.getTime() + FUTURE_MS)
      return { kind: 'invalid', id, reason: `"${k}" ${String(raw[k]).slice(0, 40)} is in the future` };
  }
  if (!Array.isArray(raw.affected) || raw.affected.length === 0)
    return { kind: 'invalid', id, reason: 'no "affected" entries' };
  const kept: Record<string, unknown>[] = [];
  for (const [i, a] of raw.affected.entries()) {
    if (
      !isRecord(a) ||
      !isRecord(a.package) ||
      typeof a.package.ecosystem !== 'string' ||
      typeof a.package.name !== 'string'
    )
      return { kind: 'invalid', id, reason: `affected[${i}] has no package ecosystem and name` };
    const eco = a.package.ecosystem.split(':')[0]!;
    if (!KNOWN_ECOSYSTEMS.has(eco) && !KNOWN_ECOSYSTEMS.has(a.package.ecosystem))
      return {
        kind: 'invalid',
        id,
        reason: `affected[${i}] names an unknown ecosystem "${a.package.ecosystem.slice(0, 60)}"`,
      };
    const hasRanges = Array.isArray(a.ranges) && a.ranges.length > 0;
    const hasVersions = Array.isArray(a.versions) && a.versions.length > 0;
    if (!hasRanges && !hasVersions)
      return { kind: 'invalid', id, reason: `affected[${i}] has neither ranges nor versions` };
    for (const target of targetsFor(a.package.ecosystem, a.package.name))
      kept.push({
        ...a,
        ranges: a.ranges ?? [],
        database_specific: {
          ...(isRecord(a.database_specific) ? withoutCtrsafe(a.database_specific) : {}),
          ctrsafe_target: target,
        },
      });
  }
  if (kept.length === 0)
    return { kind: 'skipped', id, reason: 'names no runtime, component or kernel that ctrsafe checks' };
  const sev = severityOf(raw);
  const refs = (Array.isArray(raw.references) ? raw.references : []).filter(
    (r): r is { type: string; url: string } => isRecord(r) && typeof r.url === 'string',
  );
  const normalized = {
    ...raw,
    summary:
      typeof raw.summary === 'string' && raw.summary !== ''
        ? raw.summary
        : typeof raw.details === 'string'
          ? raw.details.split('\n')[0]!.slice(0, 300)
          : id,
    affected: kept,
    references: refs,
    database_specific: {
      ...(isRecord(raw.database_specific) ? withoutCtrsafe(raw.database_specific) : {}),
      ctrsafe: {
        severity: sev.severity,
        preconditions: {},
        confirmed_from: [sourceLabel],
        unconfirmed: [
          'imported as published by the source; exploit preconditions not reviewed',
          ...(sev.note ? [sev.note] : []),
        ],
      },
    },
  };
  const p = parseAdvisory(normalized);
  return p.ok ? { kind: 'advisory', advisory: p.advisory } : { kind: 'invalid', id, reason: p.reason };
}
