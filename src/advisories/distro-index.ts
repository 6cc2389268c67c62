// Indexes the distributions' fix rows for one host's releases, with the reviewed records' own distribution entries (pure).
import type { Advisory } from './advisory.js';
import type { DistroFix, DistroFixSource } from './distro-fix.js';
import { fixedOf, introducedOf } from './evaluate-range.js';
import type { ReleaseCandidate } from './host-releases.js';

/** One row with the source that published it. */
export interface SourcedFix {
  fix: DistroFix;
  /** "AlmaLinux OS Foundation, AlmaLinux/osv-database@1a2b3c4d (2026-08-01)". */
  source: string;
  /** The date of the source's data (its newest record): how current the verdict is. */
  date: string | null;
}

const CVE = /^CVE-\d{4}-\d{4,7}$/;

/** The CVE ids an advisory speaks for: its id and aliases. */
export const cveIds = (a: Advisory): string[] => [a.id, ...a.aliases].filter((x) => CVE.test(x));

/** The ids rows are keyed by: the CVE ids, or the record's own id when it has none (EGI, GHSA-only). */
export const rowIds = (a: Advisory): string[] => (cveIds(a).length > 0 ? cveIds(a) : [a.id]);

/** The CVE ids the records describe: what package changelogs are searched for. */
export function advisoryCves(advisories: readonly Advisory[]): Set<string> {
  const out = new Set<string>();
  for (const a of advisories) for (const id of cveIds(a)) out.add(id);
  return out;
}

export interface DistroIndex {
  /** Rows for any of the CVE ids, in one release, for any of the package names. */
  lookup(cves: readonly string[], ecosystem: string, packages: readonly string[]): SourcedFix[];
}

const key = (cve: string, eco: string, pkg: string) => `${cve}\n${eco}\n${pkg}`;

/**
 * Only the rows of the host's candidate releases are indexed: one pass over all rows with a string
 * comparison each, so a check pays for the few thousand rows that can speak for it, not for every release.
 */
export function buildDistroIndex(
  sources: readonly DistroFixSource[],
  advisories: readonly Advisory[],
  releases: readonly ReleaseCandidate[],
): DistroIndex {
  const wanted = new Set(releases.map((r) => r.ecosystem));
  const map = new Map<string, SourcedFix[]>();
  const put = (f: DistroFix, s: SourcedFix) => {
    const k = key(f.cve, f.ecosystem, f.package);
    const list = map.get(k);
    if (list) list.push(s);
    else map.set(k, [s]);
  };
  for (const s of sources) {
    const label = `${s.publisher}, ${s.repository}@${s.revision.slice(0, 12)} (${s.date})`;
    for (const f of s.fixesIn ? s.fixesIn(wanted) : s.fixes)
      if (wanted.has(f.ecosystem)) put(f, { fix: f, source: label, date: s.date });
  }
  // A reviewed record's own distribution entries ("Ubuntu:16.04:LTS linux fixed 4.4.0-45.66") are rows too.
  for (const a of advisories)
    for (const e of a.affected) {
      // Older records spell Red Hat releases in database_specific ("Red Hat" + ctrsafe_target_release "6").
      const rel = e.database_specific?.ctrsafe_target_release;
      const ecosystem =
        e.package.ecosystem === 'Red Hat' && rel ? `Red Hat:enterprise_linux:${rel}` : e.package.ecosystem;
      if (!wanted.has(ecosystem)) continue;
      for (const r of e.ranges) {
        const fixed = fixedOf(r);
        if (introducedOf(r) !== '0' && introducedOf(r) !== null) continue;
        for (const cve of rowIds(a)) {
          const f: DistroFix = fixed
            ? { cve, ecosystem, package: e.package.name, status: 'fixed', fixed }
            : { cve, ecosystem, package: e.package.name, status: 'unfixed' };
          put(f, {
            fix: f,
            source: `ctrsafe advisory record ${a.id}`,
            date: a.modified?.slice(0, 10) ?? null,
          });
        }
      }
    }
  return {
    lookup(cves, ecosystem, packages) {
      const out: SourcedFix[] = [];
      for (const c of cves) for (const p of packages) out.push(...(map.get(key(c, ecosystem, p)) ?? []));
      return out;
    },
  };
}
