// Matches the NVIDIA GPU driver's advisories against the loaded kernel module's version, branch by branch (pure).
import type { Facts } from '../facts/fact.js';
import { compareUpstream } from '../version/compare-upstream.js';
import type { Advisory, Affected } from './advisory.js';
import { fixedOf, introducedOf } from './evaluate-range.js';
import { matchMaker, type Match } from './match.js';

/** The advisory target of the NVIDIA GPU driver for Linux (its kernel modules: nvidia, nvidia-uvm, ...). */
export const DRIVER_TARGET = 'nvidia-gpu-driver';

const BRANCH = /^\d{3,4}$/;
const branchOf = (v: string) => v.split('.')[0]!;

/**
 * NVIDIA's bulletins give one fixed version per driver branch ("Linux(R550) ... 550.163.01"); the records hold one
 * range per branch, introduced at the branch number ({"introduced": "550"}, {"fixed": "550.163.01"}). A loaded
 * driver of a listed branch is judged against that branch's fix. A branch newer than every listed one came after
 * the bulletin and is taken to carry the fix; an older or in-between branch the table does not list is unknown:
 * NVIDIA's notes say earlier branches "might also be affected" and advise moving to a listed branch.
 */
export function matchDriver(adv: Advisory, entries: Affected[], f: Facts): Match | null {
  const loaded = f.get('gpu.nvidia.driver_version') ?? f.get('gpu.nvidia.module_version');
  const version = typeof loaded?.value === 'string' ? loaded.value : null;
  const devices = f.get('gpu.nvidia.devices')?.value;
  // No NVIDIA module loaded and no NVIDIA device: no driver to judge (a node without an NVIDIA GPU).
  if (version === null && !(Array.isArray(devices) && devices.length > 0)) return null;
  const pkg = entries[0] ? `${entries[0].package.ecosystem}/${entries[0].package.name}` : DRIVER_TARGET;
  const make = matchMaker(
    adv,
    DRIVER_TARGET,
    (v) => `NVIDIA GPU driver ${v ?? 'of unknown version'}${loaded ? ` (${loaded.evidence})` : ''}`,
    {
      by: `ctrsafe advisory record ${adv.id} (NVIDIA's bulletin, fixed version per driver branch)`,
      date: adv.modified?.slice(0, 10) ?? null,
    },
  );
  const branches = entries
    .flatMap((a) => a.ranges)
    .map((r) => ({ branch: introducedOf(r) ?? '', fixed: fixedOf(r) }))
    .filter((b): b is { branch: string; fixed: string } => BRANCH.test(b.branch) && b.fixed !== null)
    .sort((a, b) => Number(a.branch) - Number(b.branch));
  const listed = branches.map((b) => `R${b.branch} ${b.fixed}`).join(', ');
  if (version === null)
    return make(
      'unknown',
      'NVIDIA device nodes are present but the loaded driver version is not known (/proc/driver/nvidia/version, /sys/module/nvidia/version not readable)',
      pkg,
      null,
      listed || null,
    );
  const own = branches.find((b) => b.branch === branchOf(version));
  if (own) {
    const c = compareUpstream(version, own.fixed);
    if (c === null)
      return make(
        'unknown',
        `driver ${version} cannot be compared with ${own.fixed}`,
        pkg,
        version,
        own.fixed,
      );
    return c < 0
      ? make(
          'affected',
          `driver ${version} is before the R${own.branch} fix ${own.fixed}`,
          pkg,
          version,
          own.fixed,
        )
      : make(
          'fixed',
          `driver ${version} is at or past the R${own.branch} fix ${own.fixed}`,
          pkg,
          version,
          own.fixed,
        );
  }
  const b = Number(branchOf(version));
  const newest = branches[branches.length - 1];
  if (!newest) return null;
  if (b > Number(newest.branch))
    return make(
      'not-affected',
      `driver branch R${branchOf(version)} is newer than every branch the bulletin lists (${listed}), so it came after the fix`,
      pkg,
      version,
      null,
    );
  const next = branches.find((x) => Number(x.branch) > b)!;
  return make(
    'unknown',
    `driver branch R${branchOf(version)} is not in the bulletin's table (${listed}); NVIDIA says branches it does not list might also be affected and advises moving to a listed branch (R${next.branch} ${next.fixed} or later)`,
    pkg,
    version,
    next.fixed,
  );
}
