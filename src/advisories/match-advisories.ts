// Matches advisories against what is installed on a host (pure): exact per-ecosystem versions, distribution-aware.
import type { Facts } from '../facts/fact.js';
import type { KernelFamily } from '../collect/classify-kernel.js';
import { compareDebian } from '../version/compare-debian.js';
import { compareRpm } from '../version/compare-rpm.js';
import { compareUpstream } from '../version/compare-upstream.js';
import { kernelPackageVersion, mainlineVersion } from '../version/kernel-version.js';
import { COMPONENTS } from '../runtimes/components.js';
import { RUNTIME_IDS } from '../runtimes/locations.js';
import type { Advisory, Affected } from './advisory.js';
import { fixedOf, inRange, introducedOf, type Compare } from './evaluate-range.js';

export type MatchStatus = 'affected' | 'not-affected' | 'unknown';

export interface Match {
  advisory: Advisory;
  target: string;
  /** Human description of what is installed. */
  installed: string;
  /** The advisory entry that decided: "Go/github.com/apptainer/apptainer", "Debian:12/linux", "Linux/Kernel". */
  package: string;
  installed_version: string | null;
  fixed_version: string | null;
  status: MatchStatus;
  reason: string;
}

interface Target {
  id: string;
  /** The upstream version (binary output or package upstream part). */
  upstream: string | null;
  /** The distribution package version, when it came from one, and its syntax. */
  distro: { name: string; source?: string; version: string; syntax: 'debian' | 'rpm'; built: boolean } | null;
  describe: string;
}

interface Host {
  osId: string;
  osVersion: string;
  family: KernelFamily | null;
}

const cmpUpstream: Compare = compareUpstream;
const cmpFor = (syntax: 'debian' | 'rpm'): Compare => (syntax === 'debian' ? compareDebian : compareRpm);
const val = (f: Facts, id: string) => f.get(id)?.value;

/**
 * Whether a distribution built (and may have patched) the package: a Debian revision ("0.31-1",
 * "4.3.1+ds1-8+deb12u1") or an RPM dist tag (".el9", ".fc39", "suse"). An upstream RPM ("1.3.4-1") is not.
 */
function distroBuilt(pkgVersion: string, syntax: 'debian' | 'rpm'): boolean {
  if (syntax === 'debian') return pkgVersion.includes('-');
  return /\.el\d|\.fc\d+|suse|\.module\+el|\.sle/.test(pkgVersion);
}

/**
 * Vendors that publish their own .deb builds straight from release tags, with no backports: the upstream
 * version decides for them. NVIDIA's toolkit repository (nvidia.github.io/libnvidia-container) signs its
 * packages "NVIDIA CORPORATION <cudatools@nvidia.com>".
 */
const VENDOR_MAINTAINERS = [/@nvidia\.com>?$/i];

function packageTarget(f: Facts, pfx: string, id: string): Target | null {
  if (val(f, `${pfx}.installed`) !== true) return null;
  const upstream = val(f, `${pfx}.version`);
  const pkg = val(f, `${pfx}.package`);
  let distro: Target['distro'] = null;
  if (typeof pkg === 'string') {
    const version = pkg.split(' ')[1] ?? '';
    const source = f.get(`${pfx}.package`)?.evidence ?? '';
    const syntax = /dpkg/.test(source) ? 'debian' : 'rpm';
    const src = val(f, `${pfx}.package_source`);
    const maint = val(f, `${pfx}.package_maintainer`);
    const vendor = typeof maint === 'string' && VENDOR_MAINTAINERS.some((re) => re.test(maint));
    distro = { name: pkg.split(' ')[0]!, ...(typeof src === 'string' ? { source: src } : {}), version, syntax, built: !vendor && distroBuilt(version, syntax) };
  }
  return {
    id,
    upstream: typeof upstream === 'string' ? upstream : null,
    distro,
    describe:
      typeof pkg === 'string'
        ? `${id} ${upstream ?? '?'} (package ${pkg})`
        : `${id} ${upstream ?? 'unknown version'}`,
  };
}

/** Which OSV distribution ecosystem names this host: "Debian:12", "Ubuntu:22.04:LTS", "Red Hat" + release, ... */
function ecosystemMatchesHost(a: Affected, host: Host): boolean {
  const eco = a.package.ecosystem;
  const [name, release] = eco.split(':');
  const major = host.osVersion.split('.')[0] ?? '';
  switch (name) {
    case 'Debian':
      return host.osId === 'debian' && release === major;
    case 'Ubuntu':
      return host.osId === 'ubuntu' && release === host.osVersion;
    case 'Red Hat': {
      const want = a.database_specific?.ctrsafe_target_release?.replace(/\D+/g, '');
      return ['rhel', 'centos', 'rocky', 'almalinux', 'ol'].includes(host.osId) && (!want || want === major);
    }
    case 'AlmaLinux':
      return host.osId === 'almalinux' && release === major;
    case 'Rocky Linux':
      return host.osId === 'rocky' && release === major;
    case 'SUSE':
      return host.osId.startsWith('sle') && (release ?? '').includes(host.osVersion.replace('.', ' SP'));
    default:
      return false;
  }
}

const isDistroEcosystem = (eco: string) =>
  /^(Debian|Ubuntu|Red Hat|AlmaLinux|Rocky Linux|SUSE|openSUSE)/.test(eco);

function judgeRanges(version: string, a: Affected, cmp: Compare): boolean | null {
  if (a.versions?.includes(version)) return true;
  let any: boolean | null = false;
  for (const r of a.ranges) {
    const hit = inRange(version, r, cmp);
    if (hit === null) any = any === true ? true : null;
    else if (hit) return true;
  }
  return any;
}

/** Mainline ranges with stable branches: the range for this version's branch decides when there is one. */
function judgeMainline(version: string, a: Affected): { hit: boolean | null; why: string; fixed: string | null } {
  const branch = version.split('.').slice(0, 2).join('.');
  const own = a.ranges.find((r) => introducedOf(r) === branch && fixedOf(r) !== null);
  if (own) {
    const hit = inRange(version, own, cmpUpstream);
    return { hit, why: `the ${branch} stable branch is fixed in ${fixedOf(own)}`, fixed: fixedOf(own) };
  }
  const hit = judgeRanges(version, a, cmpUpstream);
  const fixed = fixedIn([a]);
  return { hit, why: fixed ? `fixed in mainline/stable ${fixed}` : 'no fix recorded', fixed };
}

const fixedIn = (entries: Affected[]): string | null =>
  entries
    .flatMap((a) => a.ranges.map(fixedOf))
    .filter((x): x is string => x !== null)
    .join(', ') || null;

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

function matchTarget(adv: Advisory, entries: Affected[], t: Target, host: Host): Match | null {
  const distroEntries = entries.filter((a) => isDistroEcosystem(a.package.ecosystem));
  const upstreamEntries = entries.filter((a) => !isDistroEcosystem(a.package.ecosystem) && goModuleCovers(a, entries, t.upstream));
  const installedPkg = t.distro?.name;
  const mine = distroEntries.filter((a) => ecosystemMatchesHost(a, host) && (!installedPkg || a.package.name === installedPkg || a.package.name === t.distro?.source));
  const make = (status: MatchStatus, reason: string, pkg: string, installed: string | null, fixed: string | null): Match => ({
    advisory: adv,
    target: t.id,
    installed: t.describe,
    package: pkg,
    installed_version: installed,
    fixed_version: fixed,
    status,
    reason,
  });
  // The distribution's own fixed version decides for a distribution-built package.
  if (t.distro && mine.length > 0) {
    const hit = mine.some((a) => judgeRanges(t.distro!.version, a, cmpFor(t.distro!.syntax)) === true);
    const fixed = fixedIn(mine);
    const pkg = `${mine[0]!.package.ecosystem}/${mine[0]!.package.name}`;
    return make(hit ? 'affected' : 'not-affected', `${pkg} is fixed in ${fixed ?? 'no release yet'}`, pkg, t.distro.version, fixed);
  }
  const upstreamPkg = upstreamEntries[0] ? `${upstreamEntries[0].package.ecosystem}/${upstreamEntries[0].package.name}` : t.id;
  if (upstreamEntries.length === 0) {
    // Only distribution records: a flaw of this distribution's package, recorded for other releases only.
    const sameDistro = distroEntries.some((a) => a.package.ecosystem.split(':')[0]!.toLowerCase().startsWith(host.osId.slice(0, 3)));
    if (!(t.distro?.built && sameDistro)) return null;
    return make('unknown', `the database has fixed versions for other releases of this distribution, not for ${host.osId} ${host.osVersion}`, distroEntries[0]!.package.name, t.distro.version, null);
  }
  const fixed = fixedIn(upstreamEntries);
  if (!t.upstream) return make('unknown', 'the installed version is not known', upstreamPkg, null, fixed);
  const hits = upstreamEntries.map((a) => judgeRanges(t.upstream!, a, cmpUpstream));
  if (hits.every((h) => h === false)) return make('not-affected', `upstream ${t.upstream} is outside the affected ranges`, upstreamPkg, t.upstream, fixed);
  if (hits.includes(null) && !hits.includes(true)) return make('unknown', `upstream version ${t.upstream} cannot be compared with the advisory's ranges`, upstreamPkg, t.upstream, fixed);
  if (t.distro?.built) {
    // Distributions backport fixes without changing the upstream version: only their own record can tell.
    return make(
      'unknown',
      `upstream ${t.upstream} is in the affected range (fixed upstream in ${fixed ?? 'no release'}), but ${t.distro.version} is a distribution build that may carry a backported fix and the database has no ${host.osId} ${host.osVersion} record`,
      upstreamPkg,
      t.upstream,
      fixed,
    );
  }
  return make('affected', `upstream ${t.upstream} is affected; fixed in ${fixed ?? 'no release yet'}`, upstreamPkg, t.upstream, fixed);
}

function matchKernel(adv: Advisory, entries: Affected[], f: Facts, host: Host): Match | null {
  const release = val(f, 'kernel.release');
  if (typeof release !== 'string' || !host.family) return null;
  const banner = String(val(f, 'kernel.version_banner') ?? '');
  const mainline = entries.filter((a) => a.package.ecosystem === 'Linux');
  const distro = entries.filter((a) => isDistroEcosystem(a.package.ecosystem));
  const make = (status: MatchStatus, reason: string, pkg: string, installed: string | null, fixed: string | null): Match => ({
    advisory: adv,
    target: 'kernel',
    installed: `kernel ${release}${installed && installed !== release ? ` (package ${installed})` : ''}`,
    package: pkg,
    installed_version: installed,
    fixed_version: fixed,
    status,
    reason,
  });
  if (host.family === 'mainline') {
    if (mainline.length === 0) return null; // a distribution-only flaw (an Ubuntu patch) does not exist in mainline
    const v = mainlineVersion(release);
    if (!v) return make('unknown', `kernel release ${release} has no mainline version`, 'Linux/Kernel', release, fixedIn(mainline));
    const results = mainline.map((a) => judgeMainline(v, a));
    const hitAt = results.findIndex((r) => r.hit === true);
    if (hitAt >= 0) return make('affected', `mainline ${v}: ${results[hitAt]!.why}`, 'Linux/Kernel', v, results[hitAt]!.fixed);
    if (results.some((r) => r.hit === null)) return make('unknown', `mainline ${v} cannot be compared with the ranges`, 'Linux/Kernel', v, fixedIn(mainline));
    return make('not-affected', `mainline ${v}: ${results[0]!.why}`, 'Linux/Kernel', v, results[0]!.fixed);
  }
  const pkg = kernelPackageVersion(host.family, release, banner);
  // Only the records for the source package this kernel was built from: linux-oem-6.0's fix says nothing of linux.
  const mine = distro.filter((a) => ecosystemMatchesHost(a, host) && (!pkg || a.package.name === pkg.source));
  if (mine.length > 0 && pkg) {
    const hit = mine.some((a) => judgeRanges(pkg.version, a, cmpFor(pkg.syntax)) === true);
    const fixed = fixedIn(mine);
    const name = `${mine[0]!.package.ecosystem}/${mine[0]!.package.name}`;
    return make(hit ? 'affected' : 'not-affected', `${name} is fixed in ${fixed ?? 'no release yet'}`, name, pkg.version, fixed);
  }
  if (mainline.length === 0 && mine.length === 0) {
    // Flaws of one distribution's patches: other distributions' kernels do not carry them.
    const vendors = distro.map((a) => a.package.ecosystem.split(':')[0]!.toLowerCase());
    if (!vendors.some((v) => v.startsWith(host.osId.slice(0, 3)))) return null;
  }
  // Mainline ranges never clear or convict a distribution kernel: say what they say, and that it does not decide.
  const v = mainlineVersion(release);
  const ml = v && mainline.length > 0 ? mainline.map((a) => judgeMainline(v, a)) : [];
  const hint = ml.length ? ` (its base ${v} ${ml.some((r) => r.hit) ? 'is inside' : 'is outside'} the mainline ranges, which do not account for backports)` : '';
  const why =
    mine.length > 0 && !pkg
      ? `the running kernel's package version cannot be read from /proc/version`
      : `the database has no fixed version for ${host.osId} ${host.osVersion}'s kernel package ${pkg?.source ?? host.family}`;
  return make('unknown', `${why}${hint}`, host.family === 'rhel' || host.family === 'suse' ? 'kernel' : 'linux', pkg?.version ?? release, null);
}

export function matchAdvisories(advisories: readonly Advisory[], f: Facts): Match[] {
  const host: Host = {
    osId: String(val(f, 'os.id') ?? ''),
    osVersion: String(val(f, 'os.version_id') ?? ''),
    family: (val(f, 'kernel.family') as KernelFamily | undefined) ?? null,
  };
  const targets = new Map<string, Target>();
  for (const id of RUNTIME_IDS) {
    const t = packageTarget(f, `runtime.${id}`, id);
    if (t) targets.set(id, t);
  }
  for (const { id } of COMPONENTS) {
    const t = packageTarget(f, `component.${id}`, id);
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
          ? matchKernel(adv, entries, f, host)
          : targets.has(target)
            ? matchTarget(adv, entries, targets.get(target)!, host)
            : null;
      if (m) out.push(m);
    }
  }
  return out;
}
