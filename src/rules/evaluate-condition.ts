// Evaluates a rule condition over facts with three-valued logic: a fact that is not known makes the answer unknown.
import type { FactValue, Facts } from '../facts/fact.js';
import { compareLooseVersion } from '../version/compare-loose.js';
import type { Condition } from './rule.js';

export type Tri = true | false | 'unknown';

export interface ConditionResult {
  value: Tri;
  /** Fact ids the answer rested on, and the ones that were missing. */
  used: string[];
  missing: string[];
}

function compare(op: string, a: FactValue, b: FactValue | FactValue[] | undefined): boolean {
  switch (op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'in':
      return Array.isArray(b) && b.includes(a as never);
    case 'not_in':
      return Array.isArray(b) && !b.includes(a as never);
    case 'gt':
      return typeof a === 'number' && typeof b === 'number' && a > b;
    case 'gte':
      return typeof a === 'number' && typeof b === 'number' && a >= b;
    case 'lt':
      return typeof a === 'number' && typeof b === 'number' && a < b;
    case 'lte':
      return typeof a === 'number' && typeof b === 'number' && a <= b;
    case 'empty':
      return Array.isArray(a) ? a.length === 0 : a === null || a === '';
    case 'not_empty':
      return Array.isArray(a) ? a.length > 0 : a !== null && a !== '';
    case 'contains':
      return Array.isArray(a)
        ? a.includes(b as string)
        : typeof a === 'string' &&
            typeof b === 'string' &&
            new RegExp(`(^|\\s)${b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`).test(a);
    case 'version_lt':
      return typeof a === 'string' && typeof b === 'string' && compareLooseVersion(a, b) < 0;
    case 'version_gte':
      return typeof a === 'string' && typeof b === 'string' && compareLooseVersion(a, b) >= 0;
    default:
      return false;
  }
}

export function evaluateCondition(c: Condition, facts: Facts): ConditionResult {
  if ('all' in c || 'any' in c) {
    const parts = ('all' in c ? c.all : c.any).map((x) => evaluateCondition(x, facts));
    const used = parts.flatMap((p) => p.used);
    const missing = parts.flatMap((p) => p.missing);
    const decisive = 'all' in c ? false : true;
    // Kleene logic: one decisive operand settles it even when others are unknown.
    if (parts.some((p) => p.value === decisive)) {
      const settling = parts.filter((p) => p.value === decisive);
      return { value: decisive, used: settling.flatMap((p) => p.used), missing: [] };
    }
    if (parts.some((p) => p.value === 'unknown')) return { value: 'unknown', used, missing };
    return { value: !decisive, used, missing };
  }
  if ('not' in c) {
    const r = evaluateCondition(c.not, facts);
    return { ...r, value: r.value === 'unknown' ? 'unknown' : !r.value };
  }
  const f = facts.get(c.fact);
  if (c.op === 'exists') return { value: f !== undefined, used: f ? [c.fact] : [], missing: [] };
  if (c.op === 'absent') return { value: f === undefined, used: f ? [c.fact] : [], missing: [] };
  if (!f) return { value: 'unknown', used: [], missing: [c.fact] };
  return { value: compare(c.op, f.value, c.value), used: [c.fact], missing: [] };
}
