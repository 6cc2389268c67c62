// Slurm hostlist syntax both ways: "node[001-003,007],gpu1" <-> ["node001", "node002", "node003", "node007", "gpu1"].
import { UsageError } from '../errors.js';

const MAX_HOSTS = 1_000_000;

/** Expands a hostlist expression (scontrol show hostnames); bounded, with a clear error for malformed input. */
export function expandHostlist(expr: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  const parts: string[] = [];
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    if (depth < 0 || depth > 1) throw new UsageError(`hostlist "${expr.slice(0, 80)}": unbalanced brackets`);
    if (c === ',' && depth === 0) {
      parts.push(expr.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw new UsageError(`hostlist "${expr.slice(0, 80)}": unbalanced brackets`);
  parts.push(expr.slice(start));
  for (const part of parts.map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^[\]]*)(?:\[([^\]]+)\](.*))?$/.exec(part);
    if (!m || (m[3] && /[[\]]/.test(m[3])))
      throw new UsageError(`hostlist "${part.slice(0, 80)}": one bracket range per name is supported`);
    if (!m[2]) {
      if (!/^[A-Za-z0-9._-]+$/.test(part))
        throw new UsageError(`hostlist: "${part.slice(0, 80)}" is not a host name`);
      out.push(part);
      continue;
    }
    for (const r of m[2].split(',')) {
      const rm = /^(\d+)(?:-(\d+))?$/.exec(r.trim());
      if (!rm) throw new UsageError(`hostlist "${part.slice(0, 80)}": "${r}" is not a number or range`);
      const lo = Number(rm[1]);
      const hi = rm[2] === undefined ? lo : Number(rm[2]);
      if (hi < lo) throw new UsageError(`hostlist "${part.slice(0, 80)}": range ${r} runs backwards`);
      if (out.length + (hi - lo + 1) > MAX_HOSTS)
        throw new UsageError(`hostlist expands to more than ${MAX_HOSTS} hosts`);
      const width = rm[1]!.length;
      for (let n = lo; n <= hi; n++) out.push(`${m[1]}${String(n).padStart(width, '0')}${m[3] ?? ''}`);
    }
  }
  return out;
}

/** Compresses host names into hostlist syntax, grouping names that differ only in a trailing number of equal width. */
export function compressHostlist(hosts: readonly string[]): string {
  const groups = new Map<string, number[]>();
  const plain: string[] = [];
  for (const h of [...new Set(hosts)]) {
    // At most 15 digits: longer numbers would lose precision as JavaScript numbers.
    const m = /^(.*?)(\d{1,15})$/.exec(h);
    if (!m) {
      plain.push(h);
      continue;
    }
    const key = `${m[1]}\u0000${m[2]!.length}`;
    const g = groups.get(key);
    if (g) g.push(Number(m[2]));
    else groups.set(key, [Number(m[2])]);
  }
  const out: string[] = [];
  for (const [key, nums] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const [prefix, widthText] = key.split('\u0000') as [string, string];
    const width = Number(widthText);
    const sorted = [...new Set(nums)].sort((a, b) => a - b);
    const pad = (n: number) => String(n).padStart(width, '0');
    if (sorted.length === 1) {
      out.push(`${prefix}${pad(sorted[0]!)}`);
      continue;
    }
    const ranges: string[] = [];
    for (let i = 0; i < sorted.length;) {
      let j = i;
      while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
      ranges.push(i === j ? pad(sorted[i]!) : `${pad(sorted[i]!)}-${pad(sorted[j]!)}`);
      i = j + 1;
    }
    out.push(`${prefix}[${ranges.join(',')}]`);
  }
  return [...out, ...plain.sort()].join(',');
}
