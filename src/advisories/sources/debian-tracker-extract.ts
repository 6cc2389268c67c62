// Debian security tracker records read one at a time (aquasecurity/vuln-list-debian tracker/CVE, tracker/DSA, DLA):
// the annotation lines kept verbatim, turned into rows by the tracker's own conventions.
import type { DistroFix } from '../distro-fix.js';
import { DEBIAN_RELEASES } from './ecosystems.js';
import { isRelevantSourcePackage } from './relevant-packages.js';

export interface DebianTrackerExtract {
  schema: 'ctrsafe.debian-tracker-extract/1';
  /** CVE-…, DSA-… or DLA-… */
  id: string;
  source: { repository: string; path: string; commit: string };
  license: string;
  date: string | null;
  /** The CVEs the lines speak for: the record's own id, or the advisory's list (kept ones). */
  cves: string[];
  /** Annotation lines as data/CVE/list and data/D[SL]A/list write them. */
  lines: string[];
}

const LINE = /^\[([a-z]+)\] - ([a-z0-9][a-z0-9.+-]*) (\S+)/;

/**
 * "[bookworm] - linux 6.1.76-1" → fixed in Debian 12 at that version (a DSA/DLA record names its advisory);
 * "<not-affected>" → not affected; "<unfixed>" → unfixed. Unstable's "- linux 5.16.11-1" (no release) and the
 * release-team markers "<no-dsa>", "<ignored>", "<postponed>", "<end-of-life>" say nothing about a fixed version in
 * a release and give no row (a later point release may carry the fix; the changelogs show when).
 */
export function fixesFromDebianTrackerExtract(x: DebianTrackerExtract, keep: (cve: string) => boolean): DistroFix[] {
  const advisory = /^D[SL]A-\d+-\d+$/.test(x.id) ? x.id : undefined;
  const out: DistroFix[] = [];
  for (const line of x.lines) {
    const m = LINE.exec(line);
    const ecosystem = m ? DEBIAN_RELEASES[m[1]!] : undefined;
    if (!m || !ecosystem || !isRelevantSourcePackage(m[2]!)) continue;
    const what = m[3]!;
    for (const cve of x.cves.filter(keep)) {
      const base = { cve, ecosystem, package: m[2]!, ...(advisory ? { advisory } : {}), ...(x.date ? { date: x.date } : {}) };
      if (what === '<not-affected>') out.push({ ...base, status: 'not-affected' });
      else if (what === '<unfixed>') out.push({ ...base, status: 'unfixed' });
      else if (!what.startsWith('<')) out.push({ ...base, status: 'fixed', fixed: what });
    }
  }
  return out;
}
