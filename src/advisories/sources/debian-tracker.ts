// The Debian security tracker's JSON (security-tracker.debian.org/tracker/data/json) as DistroFix rows.
import type { DistroFix } from '../distro-fix.js';
import { DEBIAN_RELEASES } from './ecosystems.js';
import { isRelevantSourcePackage } from './relevant-packages.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const CVE = /^CVE-\d{4}-\d{4,7}$/;

/**
 * The tracker's shape: { <source package>: { <CVE id>: { releases: { <code name>: { status, fixed_version } } } } }.
 * True when the value looks like it (a sample of its packages holds CVE-keyed objects with "releases").
 */
export function isDebianTrackerJson(v: unknown): v is Record<string, Record<string, unknown>> {
  if (!isRecord(v) || 'id' in v || 'document' in v) return false;
  let seen = 0;
  for (const pkg of Object.values(v)) {
    if (!isRecord(pkg)) return false;
    for (const [cve, rec] of Object.entries(pkg)) {
      if (!CVE.test(cve) && !/^TEMP-/.test(cve)) return false;
      if (isRecord(rec) && isRecord(rec.releases)) seen++;
      if (seen >= 3) return true;
      break;
    }
  }
  return seen > 0;
}

/**
 * Tracker statuses (security-tracker's data model): "resolved" with fixed_version "0" → not affected, with a version →
 * fixed there; "open" → unfixed; "undetermined" → undetermined. Releases outside DEBIAN_RELEASES (sid, experimental)
 * and packages the data does not keep are left out.
 */
export function distroFixesFromDebianTracker(raw: unknown, keep: (cve: string) => boolean): DistroFix[] {
  if (!isRecord(raw)) return [];
  const out: DistroFix[] = [];
  for (const [pkg, cves] of Object.entries(raw)) {
    if (!isRelevantSourcePackage(pkg) || !isRecord(cves)) continue;
    for (const [cve, rec] of Object.entries(cves)) {
      if (!CVE.test(cve) || !keep(cve) || !isRecord(rec) || !isRecord(rec.releases)) continue;
      for (const [codename, r] of Object.entries(rec.releases)) {
        const ecosystem = DEBIAN_RELEASES[codename];
        if (!ecosystem || !isRecord(r)) continue;
        const fixed = typeof r.fixed_version === 'string' ? r.fixed_version : undefined;
        if (r.status === 'resolved' && fixed === '0')
          out.push({ cve, ecosystem, package: pkg, status: 'not-affected' });
        else if (r.status === 'resolved' && fixed)
          out.push({ cve, ecosystem, package: pkg, status: 'fixed', fixed });
        else if (r.status === 'open') out.push({ cve, ecosystem, package: pkg, status: 'unfixed' });
        else if (r.status === 'undetermined')
          out.push({ cve, ecosystem, package: pkg, status: 'undetermined' });
      }
    }
  }
  return out;
}
