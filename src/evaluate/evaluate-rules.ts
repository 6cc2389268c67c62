// Evaluates the rule catalogue over facts (pure): pass, fail, unknown or not-applicable, each with its evidence.
import type { Facts } from '../facts/fact.js';
import { evaluateCondition } from '../rules/evaluate-condition.js';
import type { ContainerModel, Rule } from '../rules/rule.js';

import type { Finding, FindingStatus } from '../schema/host-report.js';

export type { Finding, FindingStatus };

function evidenceOf(ids: string[], facts: Facts): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const id of ids) {
    const e = facts.get(id)?.evidence;
    if (e && !seen.has(e)) {
      seen.add(e);
      parts.push(e);
    }
  }
  return parts.join('; ');
}

/** "not known: X", with the collector's reason where it left one (a fact "<id>.why"). */
const missingText = (ids: string[], facts: Facts) =>
  `not known: ${[...new Set(ids)]
    .map((i) => {
      const why = facts.get(`${i}.why`)?.evidence;
      return `${i.replace(/^feature\./, '')}${why ? ` (${why})` : ''}`;
    })
    .join(', ')}`;

export function evaluateRule(rule: Rule, facts: Facts, model: ContainerModel): Finding {
  const base = {
    id: rule.id,
    title: rule.title,
    severity: rule.severity,
    remediation: rule.remediation,
    references: rule.references,
  };
  if (rule.models && !rule.models.includes(model))
    return {
      ...base,
      status: 'not-applicable',
      evidence: rule.tradeoff ?? `applies only to the ${rule.models.join('/')} container model`,
    };
  if (rule.applies) {
    const a = evaluateCondition(rule.applies, facts);
    if (a.value === false)
      return {
        ...base,
        status: 'not-applicable',
        evidence: evidenceOf(a.used, facts) || 'does not apply to this host',
      };
    if (a.value === 'unknown') return { ...base, status: 'unknown', evidence: missingText(a.missing, facts) };
  }
  const c = evaluateCondition(rule.check, facts);
  if (c.value === 'unknown') return { ...base, status: 'unknown', evidence: missingText(c.missing, facts) };
  return { ...base, status: c.value ? 'pass' : 'fail', evidence: evidenceOf(c.used, facts) };
}

export function evaluateRules(rules: readonly Rule[], facts: Facts, model: ContainerModel): Finding[] {
  return rules.map((r) => evaluateRule(r, facts, model));
}
