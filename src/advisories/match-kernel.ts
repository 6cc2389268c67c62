// Matches one advisory against the running kernel: the distribution's record, then the evidence that remains (pure).
import type { Facts } from '../facts/fact.js';
import type { KernelFamily } from '../version/classify-kernel.js';
import { compareUpstream } from '../version/compare-upstream.js';
import { identifyKernel, rhelStream, type KernelIdentity } from '../version/kernel-package.js';
import type { Advisory, Affected } from './advisory.js';
import { decideFromDistro } from './decide-distro.js';
import { rowIds, type DistroIndex } from './distro-index.js';
import { hostReleases, type ReleaseCandidate } from './host-releases.js';
import { fixedList, judgeKernelRanges, mainlineFix } from './judge-ranges.js';
import { matchMaker, type Match } from './match.js';

const val = (f: Facts, id: string) => f.get(id)?.value;
const isDistroEcosystem = (eco: string) =>
  /^(Debian|Ubuntu|Red Hat|AlmaLinux|Rocky Linux|SUSE|openSUSE)/.test(eco);

/** The kernel's package as collected, or as its release and banner tell when facts predate the collector. */
export function kernelIdentity(f: Facts): KernelIdentity | null {
  const release = val(f, 'kernel.release');
  const family = val(f, 'kernel.family') as KernelFamily | undefined;
  if (typeof release !== 'string' || !family) return null;
  const pkg = val(f, 'kernel.package');
  const base = val(f, 'kernel.base_version');
  if (
    typeof pkg === 'string' ||
    typeof base === 'string' ||
    typeof val(f, 'kernel.package_missing') === 'string'
  ) {
    const [name, version] = typeof pkg === 'string' ? pkg.split(' ') : [];
    return {
      package:
        name && version
          ? {
              name,
              version,
              syntax: val(f, 'kernel.package_syntax') === 'debian' ? 'debian' : 'rpm',
              partial: val(f, 'kernel.package_partial') === true,
              evidence: f.get('kernel.package')!.evidence,
            }
          : null,
      missing: (val(f, 'kernel.package_missing') as string | undefined) ?? null,
      base:
        typeof base === 'string'
          ? {
              version: base,
              stable: val(f, 'kernel.base_stable') === true,
              evidence: f.get('kernel.base_version')!.evidence,
            }
          : null,
    };
  }
  return identifyKernel({
    family,
    release,
    banner: String(val(f, 'kernel.version_banner') ?? ''),
    signature: String(val(f, 'kernel.version_signature') ?? ''),
    osVersion: String(val(f, 'os.version_id') ?? ''),
    packages: [],
  });
}

export interface KernelContext {
  release: string;
  family: KernelFamily;
  id: KernelIdentity;
  releases: ReleaseCandidate[];
  osLabel: string;
  /** "CVE-2022-0185 4.18.0-348.12.2.el8_5" entries of the running kernel's package changelog. */
  changelog: Map<string, string>;
  /** Where that changelog was read. */
  changelogFrom: string;
}

export function kernelContext(f: Facts): KernelContext | null {
  const id = kernelIdentity(f);
  const release = val(f, 'kernel.release');
  const family = val(f, 'kernel.family') as KernelFamily | undefined;
  if (!id || typeof release !== 'string' || !family) return null;
  const osId = String(val(f, 'os.id') ?? '');
  const osVersion = String(val(f, 'os.version_id') ?? '');
  const stream = id.package && id.package.syntax === 'rpm' ? rhelStream(id.package.version) : null;
  const changelog = new Map<string, string>();
  const cl = val(f, 'kernel.changelog_fixes');
  if (Array.isArray(cl)) for (const e of cl) changelog.set(e.split(' ')[0]!, e.split(' ')[1] ?? '');
  return {
    release,
    family,
    id,
    releases: family === 'mainline' ? [] : hostReleases(osId, osVersion, stream),
    osLabel: `${osId} ${osVersion}`.trim(),
    changelog,
    changelogFrom: f.get('kernel.changelog_fixes')?.evidence.replace(/ names \d+ CVEs? .*$/, '') ?? '',
  };
}

export function matchKernel(
  adv: Advisory,
  entries: Affected[],
  k: KernelContext,
  index: DistroIndex,
): Match | null {
  const mainline = entries.filter((a) => a.package.ecosystem === 'Linux');
  const distro = entries.filter((a) => isDistroEcosystem(a.package.ecosystem));
  const pkg = k.id.package;
  const record = {
    by: `ctrsafe advisory record ${adv.id} (mainline and stable ranges)`,
    date: adv.modified?.slice(0, 10) ?? null,
  };
  const make = matchMaker(
    adv,
    'kernel',
    (installed) =>
      `kernel ${k.release}${installed && installed !== k.release ? ` (package ${installed})` : ''}`,
    record,
  );

  if (k.family === 'mainline') {
    // A kernel with no distribution marker is self-built: mainline and stable ranges judge it.
    if (mainline.length === 0 || !k.id.base) return null; // a distribution-only flaw does not exist in mainline
    const v = judgeKernelRanges(k.id.base.version, mainline, 'mainline');
    return make(v.status, v.why, 'Linux/Kernel', k.id.base.version, v.fixed, record);
  }

  // 1. The distribution's own record (or its rebuild's, or its stream's), for the kernel's source package.
  // A record that names the release under no status decides nothing: the evidence below may, and failing that
  // the unknown says what the record lacks.
  let silent: string | null = null;
  if (pkg) {
    const d = decideFromDistro(index, k.releases, rowIds(adv), {
      names: [pkg.name],
      version: pkg.version,
      syntax: pkg.syntax,
      partial: pkg.partial,
    });
    if (d?.silent) silent = d.reason;
    else if (d)
      return make(d.status, d.reason, d.package, pkg.version, d.fixed, {
        by: d.source,
        date: d.date,
        advisory: d.advisory,
      });
  }
  // Flaws of one distribution's own patches (Ubuntu's overlayfs) exist only where that distribution says.
  if (mainline.length === 0) {
    const osId = k.osLabel.split(' ')[0] ?? '';
    if (!distro.some((a) => a.package.ecosystem.toLowerCase().startsWith(osId.slice(0, 3)))) return null;
    return make(
      'unknown',
      `the database records this flaw only for other kernels (${[...new Set(distro.map((a) => `${a.package.ecosystem}/${a.package.name}`))].slice(0, 4).join(', ')}), none for ${k.osLabel}'s ${pkg?.name ?? 'kernel'}`,
      pkg ? pkg.name : 'kernel',
      pkg?.version ?? k.release,
      null,
      record,
    );
  }
  // 2. The package's own changelog on this host names the CVE: the fix is in (cited as such).
  for (const id of rowIds(adv)) {
    const at = k.changelog.get(id);
    if (at && pkg)
      return make(
        'fixed',
        `the changelog of the installed kernel package names ${id} in ${at}; ${pkg.version} carries it (no ${k.osLabel} record in the database)`,
        pkg.name,
        pkg.version,
        at,
        { by: `package changelog on this host: ${k.changelogFrom}`, date: null },
      );
  }
  // 3. An upstream base at or past the mainline fix carries the fix, whatever was backported since.
  const base = k.id.base;
  const mfix = mainlineFix(mainline);
  if (base && mfix && (compareUpstream(base.version, mfix) ?? -1) >= 0)
    return make(
      'fixed',
      `its upstream base ${base.version} already contains the mainline fix (${mfix}) (${base.evidence})`,
      'Linux/Kernel',
      pkg?.version ?? k.release,
      mfix,
      record,
    );
  // 4. A base that names its exact stable release (Debian's package version, Ubuntu's version_signature,
  // Debian 13's release) is judged on the stable ranges, said so: no record of the distribution was found.
  if (base?.stable) {
    const v = judgeKernelRanges(base.version, mainline, 'upstream');
    if (v.status !== 'unknown')
      return make(
        v.status,
        `${v.why}: judged on the upstream stable release the kernel is built on (${base.evidence}), as the database has no ${k.osLabel} record for ${pkg?.name ?? 'its kernel package'}`,
        'Linux/Kernel',
        pkg?.version ?? k.release,
        v.fixed,
        record,
      );
  }
  // 5. What stays unknown names what is missing.
  const missing = !pkg
    ? (k.id.missing ?? `the kernel's package version could not be read`)
    : silent
      ? `${silent}, and its changelog does not name ${rowIds(adv)[0]}`
      : `no ${k.osLabel} record for ${pkg.name} in the database and its changelog does not name ${rowIds(adv)[0]}`;
  const hint = base
    ? `; its base ${base.version} is ${judgeKernelRanges(base.version, mainline, 'base').status === 'affected' ? 'inside' : 'outside'} the mainline ranges (fixed in ${fixedList(mainline) ?? 'no release'}), which do not account for backports`
    : '';
  return make('unknown', `${missing}${hint}`, pkg?.name ?? 'kernel', pkg?.version ?? k.release, null, record);
}
