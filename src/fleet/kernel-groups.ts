// The fleet's kernels by family and stream, newest first in each: what the overview's kernel chart shows (pure).
import { classifyKernel } from '../version/classify-kernel.js';
import { compareLooseVersion } from '../version/compare-loose.js';
import { rpmvercmp } from '../version/compare-rpm.js';

const FAMILY: Record<string, string> = {
  rhel: 'RHEL-like',
  fedora: 'Fedora',
  suse: 'SUSE',
  ubuntu: 'Ubuntu',
  debian: 'Debian',
  mainline: 'Mainline or site-built',
};

/** "RHEL-like el9", "Ubuntu 5.15", "Debian 6.1": the family and its stream (the .elN tag, else the base version). */
export function kernelGroup(release: string | null): string {
  if (release === null) return 'Release not reported';
  const { family } = classifyKernel(release, '');
  const el = /\.(el\d+|fc\d+)/.exec(release)?.[1];
  const base = /^(\d+\.\d+)/.exec(release)?.[1];
  return `${FAMILY[family] ?? family} ${el ?? base ?? ''}`.trim();
}

/** Newest first: RPM's comparison for RPM-built kernels (rpmvercmp, rpm's own rules), a loose one otherwise. */
function newestFirst(a: string, b: string): number {
  const rpm = /\.(el|fc)\d+/.test(a) && /\.(el|fc)\d+/.test(b);
  return -(rpm ? rpmvercmp(a, b) : compareLooseVersion(a, b));
}

/** Groups the kernel counters; the largest group first, and within each the newest release first. */
export function groupKernels(
  kernels: { release: string | null; nodes: number }[],
): { group: string; nodes: number; releases: { release: string | null; nodes: number }[] }[] {
  const m = new Map<string, { release: string | null; nodes: number }[]>();
  for (const k of kernels) {
    const g = kernelGroup(k.release);
    m.set(g, [...(m.get(g) ?? []), k]);
  }
  return [...m.entries()]
    .map(([group, releases]) => ({
      group,
      nodes: releases.reduce((s, r) => s + r.nodes, 0),
      releases: releases.sort((a, b) =>
        a.release === null || b.release === null ? 0 : newestFirst(a.release, b.release),
      ),
    }))
    .sort((a, b) => b.nodes - a.nodes || (a.group < b.group ? -1 : 1));
}
