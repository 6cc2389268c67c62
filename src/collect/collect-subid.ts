// Collects /etc/subuid and /etc/subgid coverage: the ranges rootless Podman and --fakeroot map through newuidmap.
import type { HostRoot } from '../host/host-root.js';
import { addFact, type Facts } from '../facts/fact.js';
import { readProblem } from './read-helpers.js';

interface Range {
  owner: string;
  start: number;
  count: number;
}

function parseSubid(text: string, max = 100000): { ranges: Range[]; bad: number } {
  const ranges: Range[] = [];
  let bad = 0;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const m = /^([^:\s]+):(\d{1,10}):(\d{1,10})$/.exec(t);
    if (!m) {
      bad++;
      continue;
    }
    if (ranges.length < max) ranges.push({ owner: m[1]!, start: Number(m[2]), count: Number(m[3]) });
  }
  return { ranges, bad };
}

/** Overlapping ranges of different owners let one user enter another's mappings (podman rootless_tutorial.md). */
function overlaps(ranges: Range[]): string[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: string[] = [];
  for (let i = 1; i < sorted.length && out.length < 20; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (cur.start < prev.start + prev.count && cur.owner !== prev.owner)
      out.push(`${prev.owner} and ${cur.owner}`);
  }
  return out;
}

export function collectSubidFacts(root: HostRoot, facts: Facts): void {
  for (const kind of ['subuid', 'subgid'] as const) {
    const p = `/etc/${kind}`;
    const r = root.readText(p, 8 * 1024 * 1024);
    const problem = readProblem(r, root, 8 * 1024 * 1024);
    if (problem !== null) {
      if (!r.ok && r.missing)
        addFact(facts, `subid.${kind}.entries`, 0, 'file', `${root.display(p)} does not exist`);
      else addFact(facts, `subid.${kind}.problem`, problem, 'file', problem);
      continue;
    }
    const { ranges, bad } = parseSubid((r as { text: string }).text);
    addFact(
      facts,
      `subid.${kind}.entries`,
      ranges.length,
      'file',
      `${root.display(p)}: ${ranges.length} ranges${bad ? `, ${bad} malformed lines` : ''}`,
    );
    const ov = overlaps(ranges);
    addFact(
      facts,
      `subid.${kind}.overlaps`,
      ov,
      'file',
      ov.length
        ? `${root.display(p)}: overlapping ranges of ${ov.join('; ')}`
        : `${root.display(p)}: no overlapping ranges`,
    );
    // Ranges that start below 65536 collide with ordinary account uids.
    const low = ranges.filter((x) => x.start < 65536).map((x) => x.owner);
    addFact(
      facts,
      `subid.${kind}.low_ranges`,
      low,
      'file',
      low.length
        ? `${root.display(p)}: ranges below 65536 for ${low.slice(0, 5).join(', ')}`
        : `${root.display(p)}: all ranges start at or above 65536`,
    );
  }
  const ns = root.readText('/etc/nsswitch.conf', 65536);
  if (ns.ok && !ns.binary) {
    const m = /^subid:\s*(\S+)/m.exec(ns.text);
    addFact(
      facts,
      'subid.nss',
      m ? m[1]! : 'files',
      'file',
      `${root.display('/etc/nsswitch.conf')}: ${m ? `subid: ${m[1]}` : 'no subid line (files)'}`,
    );
  }
}
