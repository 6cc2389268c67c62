// One source's rows made minimal and ordered: the first fix per release line, no stale "affected" beside a fix.
import type { DistroFix } from '../distro-fix.js';
import { compareDebian } from '../../version/compare-debian.js';
import { compareRpm } from '../../version/compare-rpm.js';

const isDpkgEcosystem = (eco: string) => /^(Debian|Ubuntu):/.test(eco);

function compareVersions(eco: string, a: string, b: string): number {
  const c = isDpkgEcosystem(eco) ? compareDebian(a, b) : compareRpm(a, b);
  return c ?? (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * The version line a fix belongs to: its epoch and upstream version. RHEL 8 ships podman 3.0 and 4.x from
 * different module streams, each fixed in its own update: both rows stay, one per line.
 */
export function versionLine(version: string): string {
  const i = version.lastIndexOf('-');
  return i > 0 ? version.slice(0, i) : version;
}

const byKey = (f: DistroFix) => `${f.cve}\0${f.ecosystem}\0${f.package}`;

export function compareFixes(a: DistroFix, b: DistroFix): number {
  for (const [x, y] of [
    [a.cve, b.cve],
    [a.ecosystem, b.ecosystem],
    [a.package, b.package],
    [a.status, b.status],
    [a.fixed ?? '', b.fixed ?? ''],
    [a.advisory ?? '', b.advisory ?? ''],
    [a.date ?? '', b.date ?? ''],
  ] as const)
    if (x !== y) return x < y ? -1 : 1;
  return 0;
}

/**
 * Per (CVE, release, package): the lowest fixed version of each version line (a later advisory that repeats a CVE
 * does not move its fix); "unfixed"/"undetermined" rows only where no fix is known; "not-affected" only where
 * nothing says affected; "unlisted" only where nothing else is said. Sorted, so the same inputs always give the same file.
 */
export function minimizeFixes(fixes: readonly DistroFix[]): DistroFix[] {
  const groups = new Map<string, DistroFix[]>();
  for (const f of fixes) {
    const k = byKey(f);
    const g = groups.get(k);
    if (g) g.push(f);
    else groups.set(k, [f]);
  }
  const out: DistroFix[] = [];
  for (const g of groups.values()) {
    const fixed = g.filter((f) => f.status === 'fixed');
    if (fixed.length > 0) {
      const lines = new Map<string, DistroFix>();
      for (const f of fixed.sort(compareFixes)) {
        const line = versionLine(f.fixed!);
        const cur = lines.get(line);
        if (!cur || compareVersions(f.ecosystem, f.fixed!, cur.fixed!) < 0) lines.set(line, f);
      }
      out.push(...lines.values());
      continue;
    }
    const pick = (s: DistroFix['status']) => g.filter((f) => f.status === s).sort(compareFixes)[0];
    const chosen =
      pick('unfixed') ??
      pick('undetermined') ??
      pick('not-affected') ??
      pick('unlisted') ??
      pick('no-fix-released');
    if (chosen) out.push(chosen);
  }
  return out.sort(compareFixes);
}
