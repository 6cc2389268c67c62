// The Slurm partitions a node belongs to, from slurm.conf's PartitionName lines (slurm.conf(5)), pure and bounded.

/** Partition names slurm.conf allows in practice; anything else is skipped, never passed on. */
const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * True when `host` is in a hostlist expression ("cn[001-100,200],gpu[1-4]"), without expanding it: a partition
 * of 100,000 nodes costs one pass over the text. Ranges keep their width (cn[001-100] names cn001, not cn1).
 */
export function hostlistIncludes(expr: string, host: string): boolean {
  let depth = 0;
  let start = 0;
  const parts: string[] = [];
  for (let i = 0; i < expr.length; i++) {
    if (expr[i] === '[') depth++;
    else if (expr[i] === ']') depth--;
    else if (expr[i] === ',' && depth === 0) {
      parts.push(expr.slice(start, i));
      start = i + 1;
    }
    if (depth < 0 || depth > 1) return false;
  }
  parts.push(expr.slice(start));
  return parts.some((raw) => {
    const part = raw.trim();
    const m = /^([^[\]]*)\[([^\]]+)\]([^[\]]*)$/.exec(part);
    if (!m) return part === host;
    const [, prefix, ranges, suffix] = m as unknown as [string, string, string, string];
    if (!host.startsWith(prefix) || !host.endsWith(suffix) || host.length <= prefix.length + suffix.length)
      return false;
    const digits = host.slice(prefix.length, host.length - suffix.length);
    if (!/^\d{1,18}$/.test(digits)) return false;
    const n = Number(digits);
    return ranges.split(',').some((r) => {
      const rm = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(r);
      if (!rm) return false;
      const lo = Number(rm[1]);
      const hi = rm[2] === undefined ? lo : Number(rm[2]);
      return n >= lo && n <= hi && String(n).padStart(rm[1]!.length, '0') === digits;
    });
  });
}

/** key=value pairs of one slurm.conf line, keys lower-cased; a comment ends the line. */
function pairs(line: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of line.replace(/#.*$/, '').matchAll(/([A-Za-z]+)=(\S+)/g))
    out.set(m[1]!.toLowerCase(), m[2]!);
  return out;
}

/**
 * The partitions whose Nodes= names `hostnames` (the node's name and its short form), or that take ALL nodes; at
 * most 32. A Nodes= value naming a NodeSet cannot be resolved from the line alone: such partitions are listed in
 * `unresolved`, never guessed. PartitionName=DEFAULT only sets defaults and is no partition.
 */
export function slurmPartitionsOf(
  text: string,
  hostnames: string[],
  maxLines = 20000,
): { partitions: string[]; unresolved: string[] } {
  const lines = text.split('\n').slice(0, maxLines);
  const nodeSets = new Set<string>();
  for (const l of lines) {
    const ns = pairs(l).get('nodeset');
    if (ns) nodeSets.add(ns);
  }
  const partitions: string[] = [];
  const unresolved: string[] = [];
  for (const l of lines) {
    const kv = pairs(l);
    const name = kv.get('partitionname');
    if (!name || name.toUpperCase() === 'DEFAULT' || !NAME.test(name)) continue;
    const nodes = kv.get('nodes') ?? '';
    if (nodes.toUpperCase() === 'ALL' || hostnames.some((h) => hostlistIncludes(nodes, h)))
      partitions.push(name);
    else if (nodes.split(',').some((p) => nodeSets.has(p))) unresolved.push(name);
    if (partitions.length >= 32) break;
  }
  return { partitions: [...new Set(partitions)], unresolved: [...new Set(unresolved)].slice(0, 32) };
}
