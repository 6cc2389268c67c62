// Matches advisories against what is installed on a host (pure): the distributions' records first, then evidence.
import type { Facts } from '../facts/fact.js';
import { compareUpstream } from '../version/compare-upstream.js';
import { rhelStream } from '../version/kernel-package.js';
import { COMPONENTS } from '../runtimes/components.js';
import { RUNTIME_IDS } from '../runtimes/locations.js';
import type { Advisory, Affected } from './advisory.js';
import { decideFromDistro } from './decide-distro.js';
import { matchMaker, type Match } from './match.js';
import type { DistroFixSource } from './distro-fix.js';
import { buildDistroIndex, rowIds, type DistroIndex } from './distro-index.js';
import { distroFamily, distributionShips, hostReleases, type ReleaseCandidate } from './host-releases.js';
import { fixedList, judgeRanges } from './judge-ranges.js';
import { kernelContext, matchKernel } from './match-kernel.js';
import { DRIVER_TARGET, matchDriver } from './match-driver.js';

export type { Match, MatchStatus } from './match.js';

interface Target {
  id: string;
  /** The upstream version (binary output or package upstream part). */
  upstream: string | null;
  /** Why the version is not known, when it is not. */
  versionProblem: string | null;
  /** The distribution package, when it came from one. */
  distro: {
    name: string;
    source: string | null;
    version: string;
    syntax: 'debian' | 'rpm';
    built: boolean;
  } | null;
  changelog: Map<string, string>;
  /** Where that changelog was read (the fact's evidence). */
  changelogFrom: string;
  describe: string;
}

const val = (f: Facts, id: string) => f.get(id)?.value;

/**
 * Whether a distribution built (and may have patched) the package: a Debian revision ("0.31-1",
 * "4.3.1+ds1-8+deb12u1") or an RPM dist tag (".el9", ".fc39", "suse"), and a package the distribution's own
 * archive ships. An upstream RPM ("1.3.4-1") or the project's .deb ("1.1.0-1~jammy") of a runtime Debian does not
 * package is not (issue 12).
 */
function distroBuilt(pkgVersion: string, syntax: 'debian' | 'rpm', ships: boolean): boolean {
  if (!ships) return false;
  if (syntax === 'debian') return pkgVersion.includes('-');
  return /\.el\d|\.fc\d+|suse|\.module\+el|\.sle|\.mga/.test(pkgVersion);
}

function packageTarget(f: Facts, pfx: string, id: string, osId: string): Target | null {
  if (val(f, `${pfx}.installed`) !== true) return null;
  const upstream = val(f, `${pfx}.version`);
  const pkg = val(f, `${pfx}.package`);
  let distro: Target['distro'] = null;
  if (typeof pkg === 'string') {
    const [name, version = ''] = pkg.split(' ') as [string, string?];
    const src = val(f, `${pfx}.package_source`);
    const syntax = /dpkg/.test(f.get(`${pfx}.package`)?.evidence ?? '') ? 'debian' : 'rpm';
    const source = typeof src === 'string' ? src : null;
    const ships =
      distributionShips(distroFamily(osId), name) &&
      (source === null || distributionShips(distroFamily(osId), source));
    distro = { name, source, version, syntax, built: distroBuilt(version, syntax, ships) };
  }
  const changelog = new Map<string, string>();
  const cl = val(f, `${pfx}.changelog_fixes`);
  if (Array.isArray(cl)) for (const e of cl) changelog.set(e.split(' ')[0]!, e.split(' ')[1] ?? '');
  const problem = f.get(`${pfx}.version_problem`);
  return {
    id,
    upstream: typeof upstream === 'string' ? upstream : null,
    versionProblem: problem ? problem.evidence : null,
    distro,
    changelog,
    changelogFrom: f.get(`${pfx}.changelog_fixes`)?.evidence.replace(/ names \d+ CVEs? .*$/, '') ?? '',
    describe:
      typeof pkg === 'string'
        ? `${id} ${upstream ?? '?'} (package ${pkg})`
        : `${id} ${upstream ?? 'unknown version'}`,
  };
}

const isDistroEcosystem = (eco: string) =>
  /^(Debian|Ubuntu|Red Hat|AlmaLinux|Rocky Linux|SUSE|openSUSE)/.test(eco);

/**
 * Go's semantic import versioning: module "…/v4" holds only v4.x releases; a module without a suffix holds the
 * majors no suffixed sibling claims (v0, v1, and v2+ "+incompatible" releases). So vulndb's "podman/v4 from 0"
 * speaks of 4.x only.
 */
function goModuleCovers(a: Affected, siblings: Affected[], version: string | null): boolean {
  if (a.package.ecosystem !== 'Go' || version === null) return true;
  const major = Number(/^v?(\d+)/.exec(version)?.[1] ?? NaN);
  const suffix = (x: Affected) => Number(/\/v(\d+)$/.exec(x.package.name)?.[1] ?? NaN);
  const own = suffix(a);
  if (!Number.isNaN(own)) return own === major;
  const claimed = siblings.filter((x) => x.package.ecosystem === 'Go').map(suffix);
  return !claimed.includes(major);
}

interface HostContext {
  osId: string;
  osLabel: string;
  releases: ReleaseCandidate[];
}

function matchTarget(
  adv: Advisory,
  entries: Affected[],
  t: Target,
  host: HostContext,
  index: DistroIndex,
): Match | null {
  const upstreamEntries = entries.filter(
    (a) => !isDistroEcosystem(a.package.ecosystem) && goModuleCovers(a, entries, t.upstream),
  );
  const record = {
    by: `ctrsafe advisory record ${adv.id} (upstream ranges)`,
    date: adv.modified?.slice(0, 10) ?? null,
  };
  const make = matchMaker(adv, t.id, () => t.describe, record);
  // The fixes of every upstream line, said where the installed line has none of its own.
  const elsewhere = fixedList(entries.filter((a) => !isDistroEcosystem(a.package.ecosystem)));
  // 1. The distribution's own record for the source package it built this from.
  if (t.distro?.built) {
    const names = [...new Set([t.distro.source, t.distro.name].filter((x): x is string => x !== null))];
    const d = decideFromDistro(index, host.releases, rowIds(adv), {
      names,
      version: t.distro.version,
      syntax: t.distro.syntax,
      partial: false,
    });
    if (d?.upstreamDecides) {
      // No fix released by the distribution: upstream's ranges say whether this version has the flaw at all.
      const v =
        t.upstream !== null && upstreamEntries.length > 0
          ? judgeRanges(t.upstream, upstreamEntries, compareUpstream, 'upstream', elsewhere)
          : null;
      if (v && v.status !== 'unknown')
        return make(
          v.status,
          v.status === 'affected' ? `${v.why}, and ${d.reason}` : `${v.why}; ${d.reason}`,
          d.package,
          t.distro.version,
          v.status === 'affected' ? null : v.fixed,
          { by: d.source, date: d.date, advisory: null },
        );
    } else if (d) {
      // "Affected, no fix released" is the distribution's word on the version it shipped then; a package since
      // rebased on an upstream release past the fix carries the fix all the same.
      const past =
        d.status === 'affected' && d.fixed === null && t.upstream !== null && upstreamEntries.length > 0
          ? judgeRanges(t.upstream, upstreamEntries, compareUpstream, 'upstream', elsewhere)
          : null;
      if (past?.status === 'fixed')
        return make(
          'fixed',
          `${past.why}; ${d.reason.replace(' marks ', ' still marks ')}${d.date ? ` (data of ${d.date})` : ''}`,
          d.package,
          t.distro.version,
          past.fixed,
          { by: d.source, date: d.date, advisory: d.advisory },
        );
      return make(d.status, d.reason, d.package, t.distro.version, d.fixed, {
        by: d.source,
        date: d.date,
        advisory: d.advisory,
      });
    }
  }
  const upstreamPkg = upstreamEntries[0]
    ? `${upstreamEntries[0].package.ecosystem}/${upstreamEntries[0].package.name}`
    : t.id;
  if (upstreamEntries.length === 0) {
    // Only distribution records: a flaw of one distribution's package, recorded for other releases only.
    const distroEntries = entries.filter((a) => isDistroEcosystem(a.package.ecosystem));
    const sameDistro = distroEntries.some((a) =>
      a.package.ecosystem.toLowerCase().startsWith(host.osId.slice(0, 3)),
    );
    if (!(t.distro?.built && sameDistro)) return null;
    return make(
      'unknown',
      `the database has records of this flaw for other releases only, none for ${host.osLabel}`,
      distroEntries[0]!.package.name,
      t.distro.version,
      null,
    );
  }
  // 2. The package's changelog on this host names the CVE.
  if (t.distro)
    for (const id of rowIds(adv)) {
      const at = t.changelog.get(id);
      if (at)
        return make(
          'fixed',
          `the changelog of package ${t.distro.name} on this host names ${id} in ${at}; ${t.distro.version} carries it${t.distro.built ? ` (no ${host.osLabel} record in the database)` : ''}`,
          t.distro.source ?? t.distro.name,
          t.distro.version,
          at,
          { by: `package changelog on this host: ${t.changelogFrom}`, date: null },
        );
    }
  const fixed = fixedList(upstreamEntries);
  if (!t.upstream)
    return make(
      'unknown',
      `the installed version is not known${t.versionProblem ? ` (${t.versionProblem})` : ': no package database lists it, its binary carries no readable version, and it was not run'}`,
      upstreamPkg,
      null,
      fixed,
    );
  // 3. Upstream ranges: decide an upstream build; clear a distribution build that is past the fix or before
  // the flaw; a distribution build inside the range may carry a backport that only its record can tell.
  const v = judgeRanges(t.upstream, upstreamEntries, compareUpstream, 'upstream', elsewhere);
  if (v.status === 'affected' && t.distro?.built)
    return make(
      'unknown',
      `upstream ${t.upstream} is in the affected range (fixed upstream in ${v.fixed ?? elsewhere ?? 'no release yet'}), but ${t.distro.version} is a ${host.osLabel} build that may carry a backported fix: the database has no ${host.osLabel} record for ${t.distro.source ?? t.distro.name} and its changelog does not name ${rowIds(adv)[0]}`,
      upstreamPkg,
      t.upstream,
      v.fixed,
    );
  const why =
    t.distro && !t.distro.built && v.status === 'affected'
      ? `${v.why} (package ${t.distro.name} ${t.distro.version} is an upstream build: ${host.osLabel} does not ship it, so upstream ranges apply)`
      : v.why;
  return make(v.status, why, upstreamPkg, t.upstream, v.fixed);
}

export function matchAdvisories(
  advisories: readonly Advisory[],
  f: Facts,
  distro: readonly DistroFixSource[] = [],
): Match[] {
  const osId = String(val(f, 'os.id') ?? '');
  const osVersion = String(val(f, 'os.version_id') ?? '');
  const kernel = kernelContext(f);
  const stream = kernel?.id.package?.syntax === 'rpm' ? rhelStream(kernel.id.package.version) : null;
  const releases = hostReleases(osId, osVersion, stream);
  const index = buildDistroIndex(distro, advisories, releases);
  const host: HostContext = { osId, osLabel: `${osId} ${osVersion}`.trim(), releases };
  const targets = new Map<string, Target>();
  for (const id of RUNTIME_IDS) {
    const t = packageTarget(f, `runtime.${id}`, id, osId);
    if (t) targets.set(id, t);
  }
  for (const { id } of COMPONENTS) {
    const t = packageTarget(f, `component.${id}`, id, osId);
    if (t) targets.set(id, t);
  }
  const out: Match[] = [];
  for (const adv of advisories) {
    const byTarget = new Map<string, Affected[]>();
    for (const a of adv.affected) {
      const t = a.database_specific?.ctrsafe_target;
      if (!t) continue;
      byTarget.set(t, [...(byTarget.get(t) ?? []), a]);
    }
    for (const [target, entries] of byTarget) {
      const m =
        target === 'kernel'
          ? kernel && matchKernel(adv, entries, kernel, index)
          : target === DRIVER_TARGET
            ? matchDriver(adv, entries, f)
            : targets.has(target)
              ? matchTarget(adv, entries, targets.get(target)!, host, index)
              : null;
      if (m) out.push(m);
    }
  }
  return out;
}
