// Decides one CVE for one installed distribution package from its distribution's own records (pure).
import type { MatchStatus } from '../schema/host-report.js';
import { compareDebian } from '../version/compare-debian.js';
import { compareRpm } from '../version/compare-rpm.js';
import type { DistroIndex, SourcedFix } from './distro-index.js';
import type { ReleaseCandidate } from './host-releases.js';

export type Verdict = MatchStatus;

export interface Decision {
  status: Verdict;
  fixed: string | null;
  /** The distribution's advisory (RHSA/ALSA/RLSA/DSA/DLA/USN/SUSE-SU), when the record names one. */
  advisory: string | null;
  /** Who published the deciding record, with its repository, revision and date. */
  source: string;
  date: string | null;
  /** "AlmaLinux:9/kernel", the release and package that decided. */
  package: string;
  reason: string;
  /** The record names the release under no status ("unlisted"): other evidence may still decide. */
  silent?: true;
  /**
   * The release's archive holds no fix ("no-fix-released"): "affected" holds only where the installed upstream
   * version is inside the reviewed record's ranges, which the caller judges.
   */
  upstreamDecides?: true;
}

export interface Installed {
  /** Source package names to look up, the distribution's first ("libpod", then "podman"). */
  names: string[];
  version: string;
  syntax: 'debian' | 'rpm';
  /** The version lacks the last release number (SUSE kernels read from their release string). */
  partial: boolean;
}

/**
 * Rebuilds mark their own rebuilds of a package (".alma.1", ".rocky.2") and number their module builds their
 * own way ("module_el8.10.0+3909+6e1c1eb7" at AlmaLinux, "module+el8.10.0+1880+8e896d1b" at Rocky, for the
 * same 4.9.4-15 of RHEL's container-tools stream): the same version-release without those marks is the same
 * fix, so they are dropped when a sibling's record judges a host.
 */
const unmark = (v: string) =>
  v.replace(/\.(alma|rocky)(\.\d+)?(?=$|\.)/g, '').replace(/\.module[_+]el\d+(\.\d+)*\+\d+\+[0-9a-f]+/g, '');

function compare(installed: Installed, fixed: string, sibling: boolean): { c: number | null; why: string } {
  const a = sibling ? unmark(installed.version) : installed.version;
  const b = sibling ? unmark(fixed) : fixed;
  if (installed.syntax === 'debian') return { c: compareDebian(a, b), why: '' };
  if (!installed.partial) return { c: compareRpm(a, b), why: '' };
  // "4.12.14-122.110" against "4.12.14-122.113.1": compare the fix cut to the same number of release parts.
  const parts = (a.split('-')[1] ?? '').split('.').length;
  const [fv, fr = ''] = b.split('-');
  const cut = `${fv}-${fr.split('.').slice(0, parts).join('.')}`;
  const c = compareRpm(a, cut);
  if (c === 0)
    return {
      c: null,
      why: `the kernel release gives ${a}.N and the fix ${b} differs only in N, which only the RPM database tells`,
    };
  return { c, why: '' };
}

/** "4:4.9.4-15.module+el8.10.0+1880" -> [4, 9]: the upstream major.minor line a version belongs to. */
function lineOf(v: string): [number, number] | null {
  const m = /^(?:\d+:)?(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : null;
}
const lineCmp = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];

/**
 * The row that speaks for the installed version. A release may carry fixes on several lines at once (RHEL 8's
 * container-tools module streams: podman 1.6.4, 3.0.1 and 4.0.2 for one CVE), so the fix on the installed
 * version's own upstream line decides; failing that, the newest fix on an older line (a newer line inherits
 * it), and for a version older than every line, the oldest fix.
 */
function pick(rows: SourcedFix[], installed: Installed): SourcedFix {
  const fixed = rows.filter((r) => r.fix.status === 'fixed');
  if (fixed.length === 0) return rows.find((r) => r.fix.status !== 'no-fix-released') ?? rows[0]!;
  const cmp = installed.syntax === 'debian' ? compareDebian : compareRpm;
  const lowest = (xs: SourcedFix[]) =>
    xs.reduce((a, b) => ((cmp(b.fix.fixed!, a.fix.fixed!) ?? 0) < 0 ? b : a));
  const own = lineOf(installed.version);
  if (!own) return lowest(fixed);
  const same = fixed.filter((r) => {
    const l = lineOf(r.fix.fixed!);
    return l !== null && lineCmp(l, own) === 0;
  });
  if (same.length > 0) return lowest(same);
  const older = fixed.filter((r) => {
    const l = lineOf(r.fix.fixed!);
    return l !== null && lineCmp(l, own) < 0;
  });
  if (older.length > 0) return older.reduce((a, b) => ((cmp(b.fix.fixed!, a.fix.fixed!) ?? 0) > 0 ? b : a));
  return lowest(fixed);
}

function judgeRow(r: SourcedFix, c: ReleaseCandidate, installed: Installed): Decision {
  const f = r.fix;
  const base = {
    fixed: f.fixed ?? null,
    advisory: f.advisory ?? null,
    source: r.source,
    date: r.date,
    package: `${f.ecosystem}/${f.package}`,
  };
  const whose =
    c.relation === 'own'
      ? `${c.label}'s record`
      : c.relation === 'rebuild'
        ? `${c.label}'s record of the same rebuild`
        : `${c.label}'s record`;
  const adv = f.advisory || f.date ? ` (${[f.advisory, f.date].filter(Boolean).join(', ')})` : '';
  switch (f.status) {
    case 'fixed': {
      const { c: cmp, why } = compare(installed, f.fixed!, c.relation === 'rebuild');
      if (cmp === null)
        return {
          ...base,
          status: 'unknown',
          reason: why || `${installed.version} cannot be compared with ${whose} fixed version ${f.fixed}`,
        };
      return cmp < 0
        ? {
            ...base,
            status: 'affected',
            reason: `${installed.version} is older than ${f.fixed}, the fixed version in ${whose}${adv}`,
          }
        : {
            ...base,
            status: 'fixed',
            reason: `${installed.version} carries the fix: ${whose} fixes it in ${f.fixed}${adv}`,
          };
    }
    case 'not-affected':
      return { ...base, status: 'not-affected', reason: `${whose} says its ${f.package} is not affected` };
    case 'unfixed':
      return {
        ...base,
        status: 'affected',
        reason: `${whose} marks ${f.package} affected with no fix released`,
      };
    case 'no-fix-released':
      return {
        ...base,
        status: 'affected',
        upstreamDecides: true,
        reason: `no fix released by ${c.label}: no upload of ${f.package} there names the CVE (its archive read ${f.date ?? r.date ?? 'on an unknown date'})`,
      };
    case 'unlisted':
      return {
        ...base,
        status: 'unknown',
        silent: true,
        reason: `${whose}${adv} states no verdict for its ${f.package}: it names the release neither fixed nor not affected`,
      };
    default:
      return {
        ...base,
        status: 'unknown',
        reason: `${c.label} has not decided yet (${whose} is "undetermined")`,
      };
  }
}

/**
 * A distribution that has not decided yet ("needs-triage") and has released no fix: affected as far as upstream's
 * ranges say (as Trivy and Grype read Ubuntu's needs-triage), and the verdict says both.
 */
function withArchive(
  picked: SourcedFix,
  rows: SourcedFix[],
  c: ReleaseCandidate,
  installed: Installed,
): Decision {
  const d = judgeRow(picked, c, installed);
  const archive = rows.find((r) => r.fix.status === 'no-fix-released');
  if (picked.fix.status !== 'undetermined' || !archive) return d;
  const a = judgeRow(archive, c, installed);
  return { ...a, reason: `${d.reason}; ${a.reason}` };
}

/**
 * The distribution's record decides: the host's own release first, then a rebuild of the same sources (said
 * so); a Red Hat stream (EUS/E4S/AUS) or Ubuntu Pro record can only clear a package their update installed.
 * Null when no release has a record, so the caller falls back to evidence of another kind.
 */
export function decideFromDistro(
  index: DistroIndex,
  releases: readonly ReleaseCandidate[],
  ids: readonly string[],
  installed: Installed,
): Decision | null {
  let primary: Decision | null = null;
  const extra: { d: Decision; c: ReleaseCandidate }[] = [];
  for (const c of releases) {
    const rows = index.lookup(ids, c.ecosystem, installed.names);
    if (rows.length === 0) continue;
    const d = withArchive(pick(rows, installed), rows, c, installed);
    if (c.relation === 'stream' || c.relation === 'pro') extra.push({ d, c });
    else if (!primary) primary = d;
  }
  const clearing = extra.find((x) => x.d.status === 'fixed');
  if (clearing && primary?.status !== 'fixed' && primary?.status !== 'not-affected') return clearing.d;
  // Only a stream or Pro record: it judges updates from that stream; below its fix the host is affected.
  if (!primary) return extra[0]?.d ?? null;
  const nearer = extra.find((x) => x.d.status === 'affected' && x.d.fixed);
  if (primary.status === 'affected' && nearer)
    return {
      ...primary,
      reason: `${primary.reason}; or update within ${nearer.c.label} to ${nearer.d.fixed}${nearer.d.advisory ? ` (${nearer.d.advisory})` : ''}`,
    };
  return primary;
}
