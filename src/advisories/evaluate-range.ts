// OSV range evaluation: is a version inside an introduced/fixed/last_affected/limit range (pure).
import type { AffectedRange } from './advisory.js';

export type Compare = (a: string, b: string) => number | null;

/**
 * OSV schema, "Evaluation": walk the events in version order; "introduced" opens, "fixed" and "limit" close
 * (exclusive), "last_affected" closes inclusively. "0" means before every version.
 * Returns null when a version in the range cannot be compared.
 */
export function inRange(version: string, range: AffectedRange, cmp: Compare): boolean | null {
  const events = range.events.map((e) => {
    const [kind, v] = Object.entries(e)[0] as [string, string];
    return { kind, v };
  });
  for (const e of events) if (e.v !== '0' && cmp(e.v, e.v) === null) return null;
  const order = (a: string, b: string) =>
    a === '0' ? (b === '0' ? 0 : -1) : b === '0' ? 1 : (cmp(a, b) ?? 0);
  events.sort((a, b) => order(a.v, b.v) || (a.kind === 'introduced' ? -1 : 1));
  let affected = false;
  for (const e of events) {
    const c = e.v === '0' ? 1 : cmp(version, e.v);
    if (c === null) return null;
    if (e.kind === 'introduced' && c >= 0) affected = true;
    else if ((e.kind === 'fixed' || e.kind === 'limit') && c >= 0) affected = false;
    else if (e.kind === 'last_affected' && c > 0) affected = false;
  }
  return affected;
}

/** The first "introduced" of a range: the stable branch a kernel range speaks for ("6.1" for 6.1.x fixes). */
export function introducedOf(range: AffectedRange): string | null {
  for (const e of range.events) if ('introduced' in e) return e.introduced;
  return null;
}

export function fixedOf(range: AffectedRange): string | null {
  for (const e of range.events) if ('fixed' in e) return e.fixed;
  return null;
}
