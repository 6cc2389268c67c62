// Debian-format package changelogs (debian/changelog, /usr/share/doc/*/changelog.Debian.gz): which upload named which CVE.
import { compareDebian } from '../../version/compare-debian.js';

export interface ChangelogEntry {
  package: string;
  version: string;
  /** The upload's distribution field: "bookworm-security", "jammy", "unstable". */
  distribution: string;
  /** From the trailer line (RFC 2822 date), YYYY-MM-DD; null when the trailer is missing or malformed. */
  date: string | null;
  /** CVE ids the entry names, sorted. */
  cves: string[];
}

const HEADER = /^([a-z0-9][a-z0-9.+-]*) \(([^()\s]+)\) ([a-z0-9/ .-]+);/;
const TRAILER = /^ -- .*?>\s+(?:\w{3}, )?(\d{1,2}) (\w{3}) (\d{4}) /;
const CVE_G = /CVE-\d{4}-\d{4,7}/g;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** The `linux` changelog of Debian 12 is ~20 MB with ~3,000 entries; more than this is not a changelog. */
const MAX_ENTRIES = 50_000;

/**
 * Parses debian/changelog syntax (Debian Policy 4.4): "pkg (version) dists; urgency=…", indented change lines,
 * " -- Maintainer <mail>  Date". Linear in the text; lines that fit no rule are change text.
 */
export function parseChangelog(text: string): ChangelogEntry[] {
  const out: ChangelogEntry[] = [];
  let cur: (ChangelogEntry & { set: Set<string> }) | null = null;
  const close = () => {
    if (cur)
      out.push({
        package: cur.package,
        version: cur.version,
        distribution: cur.distribution,
        date: cur.date,
        cves: [...cur.set].sort(),
      });
    cur = null;
  };
  for (const line of text.split('\n')) {
    const h = HEADER.exec(line);
    if (h) {
      close();
      if (out.length >= MAX_ENTRIES) break;
      cur = {
        package: h[1]!,
        version: h[2]!,
        distribution: h[3]!.trim().split(/\s+/)[0]!,
        date: null,
        cves: [],
        set: new Set(),
      };
      continue;
    }
    if (!cur) continue;
    const t = TRAILER.exec(line);
    if (t) {
      const m = MONTHS.indexOf(t[2]!);
      if (m >= 0) cur.date = `${t[3]}-${String(m + 1).padStart(2, '0')}-${t[1]!.padStart(2, '0')}`;
      continue;
    }
    for (const c of line.matchAll(CVE_G)) cur.set.add(c[0]);
  }
  close();
  return out;
}

/**
 * For each CVE of `keep`: the lowest version whose entry names it (dpkg order), with that entry's date. The
 * lowest, not the first listed: a changelog may name a CVE again in a later upload (a regression fix, a backport).
 */
export function firstNamingEntries(
  entries: readonly ChangelogEntry[],
  keep: (cve: string) => boolean,
): Map<string, { version: string; date: string | null }> {
  const res = new Map<string, { version: string; date: string | null }>();
  for (const e of entries)
    for (const c of e.cves) {
      if (!keep(c)) continue;
      const cur = res.get(c);
      if (!cur || (compareDebian(e.version, cur.version) ?? 0) < 0)
        res.set(c, { version: e.version, date: e.date });
    }
  return res;
}
