// OSV records of distributions (AlmaLinux's osv-database, osv.dev's ecosystem exports, Canonical's OSV) as DistroFix rows.
import type { DistroFix } from '../distro-fix.js';
import { isoDay, normalizeOsvEcosystem, osvCves } from './ecosystems.js';
import { isRelevantSourcePackage, rpmSourceOf, susePackageOf } from './relevant-packages.js';

const ADVISORY_ID =
  /^(ALSA|ALBA|ALEA|RLSA|RHSA|RHBA|RHEA|DSA|DLA|USN|SUSE-SU|SUSE-RU|openSUSE-SU)-[A-Za-z0-9:._-]{1,60}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The source package an entry names, by the family's naming: RPM distributions list binaries. */
function packageOf(ecosystem: string, name: string): string | null {
  if (/^(AlmaLinux|Rocky Linux|Red Hat):/.test(ecosystem)) return rpmSourceOf(name);
  if (ecosystem.startsWith('SUSE:')) return susePackageOf(name);
  return isRelevantSourcePackage(name) ? name : null;
}

/** The first "fixed" of the entry's ECOSYSTEM ranges; undefined when it names none (affected, no fix). */
function fixedVersion(entry: Record<string, unknown>): string | undefined {
  for (const r of Array.isArray(entry.ranges) ? entry.ranges.slice(0, 100) : []) {
    if (!isRecord(r) || r.type !== 'ECOSYSTEM' || !Array.isArray(r.events)) continue;
    for (const e of r.events.slice(0, 100)) if (isRecord(e) && typeof e.fixed === 'string') return e.fixed;
  }
  return undefined;
}

/**
 * One OSV record as rows for the CVEs `keep` accepts: fixed where a range names a fix, unfixed where the entry is
 * affected with none. A record whose id is an advisory (ALSA-2022:0825, DSA-5092-1) gives that id; otherwise the
 * first advisory among its related ids. Entries of releases or packages the data does not keep are left out.
 */
export function distroFixesFromOsv(raw: unknown, keep: (cve: string) => boolean): DistroFix[] {
  if (!isRecord(raw) || !Array.isArray(raw.affected)) return [];
  const cves = osvCves(raw).filter(keep);
  if (cves.length === 0) return [];
  const id = typeof raw.id === 'string' ? raw.id : '';
  const related = [
    ...(Array.isArray(raw.related) ? (raw.related as unknown[]) : []),
    ...(Array.isArray(raw.aliases) ? (raw.aliases as unknown[]) : []),
  ];
  const advisory = ADVISORY_ID.test(id)
    ? id
    : related.filter((r): r is string => typeof r === 'string' && ADVISORY_ID.test(r)).sort()[0];
  const date = isoDay(raw.published) ?? isoDay(raw.modified);
  const out: DistroFix[] = [];
  const seen = new Set<string>();
  for (const a of raw.affected.slice(0, 20000)) {
    if (!isRecord(a) || !isRecord(a.package)) continue;
    const { ecosystem, name } = a.package;
    if (typeof ecosystem !== 'string' || typeof name !== 'string') continue;
    const eco = normalizeOsvEcosystem(ecosystem);
    const pkg = eco ? packageOf(eco, name) : null;
    if (!eco || !pkg) continue;
    const fixed = fixedVersion(a);
    for (const cve of cves) {
      const key = `${cve}\0${eco}\0${pkg}\0${fixed ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        cve,
        ecosystem: eco,
        package: pkg,
        status: fixed === undefined ? 'unfixed' : 'fixed',
        ...(fixed !== undefined ? { fixed } : {}),
        ...(advisory ? { advisory } : {}),
        ...(date ? { date } : {}),
      });
    }
  }
  return out;
}
