// Every rule is complete data and its own pass/fail examples come out as the rule says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Facts } from '../../src/facts/fact.js';
import { evaluateRule } from '../../src/evaluate/evaluate-rules.js';
import { RULES } from '../../src/rules/catalogue.js';
import { OPERATORS, type Condition } from '../../src/rules/rule.js';

function factsOf(o: Record<string, unknown>): Facts {
  return new Map(
    Object.entries(o).map(([id, value]) => [
      id,
      { id, value: value as never, how: 'file' as const, evidence: `example ${id}` },
    ]),
  );
}

function operatorsIn(c: Condition, out: string[] = []): string[] {
  if ('all' in c) c.all.forEach((x) => operatorsIn(x, out));
  else if ('any' in c) c.any.forEach((x) => operatorsIn(x, out));
  else if ('not' in c) operatorsIn(c.not, out);
  else out.push(c.op);
  return out;
}

test('rule ids are unique and stable in form', () => {
  const ids = RULES.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.match(id, /^CS-[A-Z]+\d{3}$/);
});

test('every rule cites sources, says who recommends it, and carries a pass and a fail example', () => {
  for (const r of RULES) {
    assert.ok(r.references.length > 0, `${r.id} has no references`);
    for (const ref of r.references) assert.match(ref.url, /^https:\/\//, `${r.id} reference ${ref.title}`);
    assert.ok(r.recommendedBy.length > 0, `${r.id} names nobody who recommends it`);
    assert.ok(
      r.rationale.length > 40 && r.remediation.length > 20,
      `${r.id} needs a rationale and a remediation`,
    );
    assert.ok(
      r.examples.some((e) => e.expect === 'pass'),
      `${r.id} has no pass example`,
    );
    assert.ok(
      r.examples.some((e) => e.expect === 'fail'),
      `${r.id} has no fail example`,
    );
    if (r.models) assert.ok(r.tradeoff, `${r.id} is model-specific and must explain the trade-off`);
  }
});

test('rules use only the closed set of operators', () => {
  for (const r of RULES) {
    for (const op of [...operatorsIn(r.check), ...(r.applies ? operatorsIn(r.applies) : [])])
      assert.ok(OPERATORS.includes(op as never), `${r.id} uses ${op}`);
  }
});

for (const rule of RULES) {
  test(`${rule.id} examples`, () => {
    for (const ex of rule.examples) {
      const f = evaluateRule(rule, factsOf(ex.facts), ex.model ?? 'both');
      assert.equal(
        f.status,
        ex.expect,
        `${rule.id} with ${JSON.stringify(ex.facts)} (model ${ex.model ?? 'both'}): ${f.evidence}`,
      );
    }
  });
}
