// Judges a version against OSV ranges: inside (affected), past a fix (fixed), before every range (not affected).
import { compareUpstream } from '../version/compare-upstream.js';
import type { Affected, AffectedRange } from './advisory.js';
import { fixedOf, inRange, introducedOf, type Compare } from './evaluate-range.js';

export interface RangeVerdict {
  status: 'affected' | 'fixed' | 'not-affected' | 'unknown';
  /** The fix for this version's line ("4.4.26" on the 4.4 stable branch), or every fix when none is its own. */
  fixed: string | null;
  why: string;
}

const ranges = (entries: readonly Affected[]): AffectedRange[] => entries.flatMap((a) => a.ranges);

export const fixedList = (entries: readonly Affected[]): string | null =>
  ranges(entries)
    .map(fixedOf)
    .filter((x): x is string => x !== null)
    .join(', ') || null;

/** Where the fix of an affected version is: its own line's, or, when that has none, the other lines'. */
function fixedIn(fix: string | null, elsewhere: string | null): string {
  if (fix) return `fixed in ${fix}`;
  return elsewhere
    ? `no release of its line fixes it (fixed upstream in ${elsewhere})`
    : 'fixed in no release yet';
}

/** Outside every range: past a fix of a line it belongs to (fixed), or before the flaw (not affected). */
function outside(version: string, rs: AffectedRange[], cmp: Compare, label: string): RangeVerdict {
  const past = rs.find((r) => {
    const lo = introducedOf(r);
    const fx = fixedOf(r);
    return (
      fx !== null &&
      (lo === null || lo === '0' || (cmp(version, lo) ?? -1) >= 0) &&
      (cmp(version, fx) ?? -1) >= 0
    );
  });
  return past
    ? {
        status: 'fixed',
        fixed: fixedOf(past),
        why: `${label} ${version} is at or past the fix in ${fixedOf(past)}`,
      }
    : { status: 'not-affected', fixed: null, why: `${label} ${version} predates every affected range` };
}

/**
 * Plain ranges (Go modules, upstream releases): any range holding the version convicts it. `elsewhere` lists the
 * fixes of the advisory's other lines (Podman 5.2.4 for a 4.x whose Go module range ends at 5.0.0 unfixed), said
 * when the version's own line has none.
 */
export function judgeRanges(
  version: string,
  entries: readonly Affected[],
  cmp: Compare,
  label: string,
  elsewhere: string | null = null,
): RangeVerdict {
  const rs = ranges(entries);
  if (entries.some((a) => a.versions?.includes(version)))
    return {
      status: 'affected',
      fixed: fixedList(entries),
      why: `${label} ${version} is listed as affected`,
    };
  let unknown = false;
  for (const r of rs) {
    const hit = inRange(version, r, cmp);
    if (hit === true) {
      const fixed = fixedOf(r) ?? fixedList(entries);
      return {
        status: 'affected',
        fixed,
        why: `${label} ${version} is affected; ${fixedIn(fixed, elsewhere)}`,
      };
    }
    if (hit === null) unknown = true;
  }
  if (unknown)
    return {
      status: 'unknown',
      fixed: fixedList(entries),
      why: `${label} ${version} cannot be compared with the advisory's ranges`,
    };
  return outside(version, rs, cmp, label);
}

/**
 * Kernel ranges with stable branches: the range opened at this version's branch ("4.4" ... "4.4.26") decides
 * when there is one; otherwise the mainline range does.
 */
export function judgeKernelRanges(
  version: string,
  entries: readonly Affected[],
  label: string,
): RangeVerdict {
  const branch = version.split('.').slice(0, 2).join('.');
  const own = ranges(entries).find((r) => introducedOf(r) === branch && fixedOf(r) !== null);
  if (own) {
    const hit = inRange(version, own, compareUpstream);
    if (hit === null)
      return {
        status: 'unknown',
        fixed: fixedOf(own),
        why: `${label} ${version} cannot be compared with the ${branch} range`,
      };
    return hit
      ? {
          status: 'affected',
          fixed: fixedOf(own),
          why: `${label} ${version}: the ${branch} stable branch is fixed in ${fixedOf(own)}`,
        }
      : {
          status: 'fixed',
          fixed: fixedOf(own),
          why: `${label} ${version}: the ${branch} stable branch is fixed in ${fixedOf(own)}`,
        };
  }
  return judgeRanges(version, entries, compareUpstream, label);
}

/**
 * The mainline release that carries the fix: the highest fixed version, when it names a mainline release
 * ("4.9", "5.17.0", "2.6.36") rather than a stable update (stable branches always sit below the mainline release
 * that fixed them). A kernel whose upstream base is at or past it carries the fix whatever its vendor backported
 * since (issue 12: Dirty COW on a 5.14 base).
 */
export function mainlineFix(entries: readonly Affected[]): string | null {
  const fixes = ranges(entries)
    .map(fixedOf)
    .filter((x): x is string => x !== null);
  if (fixes.length === 0) return null;
  const top = fixes.reduce((a, b) => ((compareUpstream(b, a) ?? 0) > 0 ? b : a));
  if (!/^(\d+\.\d+(\.0)?|2\.6\.\d+)$/.test(top)) return null;
  // A range opened at or after that release is a regression: the base alone then proves nothing.
  if (
    ranges(entries).some(
      (r) =>
        introducedOf(r) !== '0' &&
        introducedOf(r) !== null &&
        (compareUpstream(introducedOf(r)!, top) ?? 1) >= 0,
    )
  )
    return null;
  return top;
}
