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
const UNSTABLE = /^- ([a-z0-9][a-z0-9.+-]*) (\S+)/;
/** Release-team markers of a release still carrying the flaw (the tracker's JSON says "open" for each). */
const OPEN = new Set(['<unfixed>', '<no-dsa>', '<postponed>', '<ignored>']);
/** The stable releases the data covers (docs/distro-data.md); testing follows unstable and is not judged. */
const STABLE = ['buster', 'bullseye', 'bookworm', 'trixie'];
/**
 * The newest stable release: it was testing (which follows unstable) until its release and has had security support
 * since, so a record with no line for it speaks for it through unstable's line whatever the record's date. Older
 * releases may have left security support before the record was written (buster's LTS ended 2024-06-30), and the
 * tracker then says nothing for them.
 */
const NEWEST_STABLE = 'trixie';

/**
 * "[bookworm] - linux 6.1.76-1" → fixed in Debian 12 at that version (a DSA/DLA record names its advisory);
 * "<not-affected>" → not affected; "<unfixed>", "<no-dsa>", "<postponed>", "<ignored>" → unfixed (affected, no
 * fix released in that release: the tracker's JSON reports them "open"). "<end-of-life>" gives no row.
 *
 * A release with no line of its own follows unstable's line, as the tracker reads data/CVE/list: "- crun
 * <not-affected>" → not affected in every release; "- runc <unfixed>" → unfixed and "- podman 5.8.1+ds1-2" → fixed
 * from that version, in the newest stable release only (NEWEST_STABLE). Unstable's fix is followed only when the
 * record names no DSA or DLA: an advisory's release fixes are written in data/DSA/list and data/DLA/list, not in
 * the CVE's record (Dirty Pipe's {DSA-5092-1} fixed bullseye with no "[bullseye]" line).
 */
export function fixesFromDebianTrackerExtract(
  x: DebianTrackerExtract,
  keep: (cve: string) => boolean,
): DistroFix[] {
  const advisory = /^D[SL]A-\d+-\d+$/.test(x.id) ? x.id : undefined;
  const namesAdvisory = x.lines.some((l) => /^\{.*\bD[SL]A-\d+-\d+/.test(l));
  const out: DistroFix[] = [];
  const own = new Set<string>();
  const push = (codename: string, pkg: string, what: string) => {
    const ecosystem = DEBIAN_RELEASES[codename];
    if (!ecosystem || !isRelevantSourcePackage(pkg)) return;
    for (const cve of x.cves.filter(keep)) {
      const base = {
        cve,
        ecosystem,
        package: pkg,
        ...(advisory ? { advisory } : {}),
        ...(x.date ? { date: x.date } : {}),
      };
      if (what === '<not-affected>') out.push({ ...base, status: 'not-affected' });
      else if (OPEN.has(what)) out.push({ ...base, status: 'unfixed' });
      else if (!what.startsWith('<')) out.push({ ...base, status: 'fixed', fixed: what });
    }
  };
  for (const line of x.lines) {
    const m = LINE.exec(line);
    if (!m) continue;
    own.add(`${m[1]}\0${m[2]}`);
    push(m[1]!, m[2]!, m[3]!);
  }
  for (const line of x.lines) {
    const m = UNSTABLE.exec(line);
    if (!m) continue;
    const into = m[2] === '<not-affected>' ? STABLE : namesAdvisory ? [] : [NEWEST_STABLE];
    for (const codename of into) if (!own.has(`${codename}\0${m[1]}`)) push(codename, m[1]!, m[2]!);
  }
  return out;
}
