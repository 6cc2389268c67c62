// The partition grid and the node x runtime matrix as compact data for the page (pure): reasons said once each.
import { VERDICTS } from './runtime-verdict.js';
import type { MatrixNode, NodeView, PartitionGrid } from '../schema/fleet-api.js';
import type { AcceleratorKind } from './store/accelerator-state.js';

/** Nodes whose report names no partition (no slurm.conf, or a report from before the partitions). */
export const NO_PARTITION = '(no partition reported)';

export type { PartitionGrid };

/** A node appears in every partition it is in, as sinfo lists it; partitions by name, nodes by host name. */
export function partitionGrid(nodes: (NodeView & { hostname: string })[], runtime: string): PartitionGrid {
  const reasons: string[] = [];
  const reasonIndex = new Map<string, number>();
  const parts = new Map<string, PartitionGrid['partitions'][number]>();
  for (const n of nodes) {
    const r = n.runtimes[runtime];
    const v = r ? VERDICTS.indexOf(r.verdict) : -1;
    let w = -1;
    if (r?.why) {
      w = reasonIndex.get(r.why) ?? reasons.length;
      if (w === reasons.length) {
        reasons.push(r.why);
        reasonIndex.set(r.why, w);
      }
    }
    for (const p of n.partitions.length ? n.partitions : [NO_PARTITION]) {
      let g = parts.get(p);
      if (!g) parts.set(p, (g = { name: p, counts: {}, nodes: [] }));
      g.nodes.push([n.hostname, v, w]);
      const key = r ? r.verdict : 'not reported';
      g.counts[key] = (g.counts[key] ?? 0) + 1;
    }
  }
  return {
    runtime,
    verdicts: [...VERDICTS],
    reasons,
    partitions: [...parts.values()].sort((a, b) =>
      a.name === NO_PARTITION ? 1 : b.name === NO_PARTITION ? -1 : a.name < b.name ? -1 : 1,
    ),
    total: nodes.length,
  };
}

/** The matrix's columns: runtimes installed on at least one node of the page first, then the rest. */
export function matrixRuntimes(nodes: NodeView[]): string[] {
  const installed = new Map<string, number>();
  for (const n of nodes)
    for (const [rt, v] of Object.entries(n.runtimes))
      installed.set(rt, (installed.get(rt) ?? 0) + (v.verdict === 'not-installed' ? 0 : 1));
  return [...installed.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([rt]) => rt);
}

/**
 * The matrix for one device: each node's runtimes replaced by their readiness for it (ready, blocked, unknown, with
 * the deciding reason), and whether the node has the device ("yes", "no", "unknown", or null when its report
 * predates the section), so a cell can say "no such device" rather than "not reported".
 */
export function deviceMatrix(
  nodes: (NodeView & { hostname: string })[],
  kind: AcceleratorKind,
): MatrixNode[] {
  return nodes.map((n) => ({
    ...n,
    present: n.accelerators?.[kind]?.present ?? null,
    runtimes: n.accelerators?.[kind]?.runtimes ?? {},
  }));
}
