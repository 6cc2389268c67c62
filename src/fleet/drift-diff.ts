// Drift as a readable diff (pure): a node's transitions grouped by the report that made them, each in words, with
// whether it made the node better or worse. Used by the page (bundled) and tested here.

export interface Transition {
  hostname: string;
  at: number;
  subject: string;
  old_value: string | null;
  new_value: string | null;
}

export type Direction = 'better' | 'worse' | 'changed';

export interface Change {
  what: string;
  /** The id or name the change is about, shown in monospace and never broken (a CVE id, a rule id, a runtime). */
  id: string | null;
  from: string;
  to: string;
  direction: Direction;
}

export interface ChangeSet {
  hostname: string;
  at: number;
  changes: Change[];
}

const RISK = ['none', 'low', 'medium', 'high', 'critical'];
const READY: Record<string, number> = { no: 0, unknown: 1, yes: 2 };

/** A subject (node-state.ts transitionsBetween) and its two values, in words. */
export function describeChange(t: Pick<Transition, 'subject' | 'old_value' | 'new_value'>): Change {
  const o = t.old_value;
  const n = t.new_value;
  const parts = t.subject.split('.');
  if (t.subject === 'kernel' || t.subject === 'os')
    return {
      what: t.subject === 'kernel' ? 'kernel' : 'operating system',
      id: null,
      from: o ?? '(not reported)',
      to: n ?? '(not reported)',
      direction: 'changed',
    };
  if (parts[0] === 'runtime' && parts.length === 3) {
    const [, rt, field] = parts as [string, string, string];
    if (field === 'ready') {
      const d = (READY[n ?? ''] ?? -1) - (READY[o ?? ''] ?? -1);
      return {
        what: 'can run',
        id: rt,
        from: o ?? '(not reported)',
        to: n ?? '(not reported)',
        direction: d > 0 ? 'better' : d < 0 ? 'worse' : 'changed',
      };
    }
    const d = RISK.indexOf(n ?? '') - RISK.indexOf(o ?? '');
    return {
      what: 'risk',
      id: rt,
      from: o ?? '(not reported)',
      to: n ?? '(not reported)',
      direction:
        o === null || n === null || o === 'unknown' || n === 'unknown'
          ? 'changed'
          : d < 0
            ? 'better'
            : d > 0
              ? 'worse'
              : 'changed',
    };
  }
  if (parts[0] === 'vuln') {
    const id = t.subject.slice('vuln.'.length);
    const bad = (s: string | null) => s === 'affected';
    return {
      what: 'vulnerability',
      id,
      from: o ?? 'not reported',
      to: n ?? 'no longer reported (fixed or not applicable)',
      direction: bad(o) && !bad(n) ? 'better' : bad(n) && !bad(o) ? 'worse' : 'changed',
    };
  }
  if (parts[0] === 'rule') {
    const id = t.subject.slice('rule.'.length);
    return {
      what: 'rule',
      id,
      from: o ?? '(not reported)',
      to: n ?? '(not reported)',
      direction: o === 'fail' && n !== 'fail' ? 'better' : n === 'fail' && o !== 'fail' ? 'worse' : 'changed',
    };
  }
  return { what: t.subject, id: null, from: o ?? '(none)', to: n ?? '(none)', direction: 'changed' };
}

/**
 * Rows newest first (as the store returns them) into one change set per node and report time, newest first; the
 * changes of a set in a stable order: kernel and OS, runtimes, then vulnerabilities and rules, worse first.
 */
export function groupDrift(rows: Transition[]): ChangeSet[] {
  const sets = new Map<string, ChangeSet>();
  for (const r of rows) {
    const k = `${r.hostname}\u0000${r.at}`;
    let s = sets.get(k);
    if (!s) sets.set(k, (s = { hostname: r.hostname, at: r.at, changes: [] }));
    s.changes.push(describeChange(r));
  }
  const order = ['kernel', 'operating system', 'can run', 'risk', 'vulnerability', 'rule'];
  const dir: Record<Direction, number> = { worse: 0, better: 1, changed: 2 };
  for (const s of sets.values())
    s.changes.sort(
      (a, b) =>
        order.indexOf(a.what) - order.indexOf(b.what) ||
        dir[a.direction] - dir[b.direction] ||
        (a.id ?? '').localeCompare(b.id ?? ''),
    );
  return [...sets.values()].sort((a, b) => b.at - a.at || (a.hostname < b.hostname ? -1 : 1));
}
