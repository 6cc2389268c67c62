// The shape of a rule: data only, with a closed set of operators over fact ids.
import type { FactValue } from '../facts/fact.js';
import type { RuntimeId } from '../runtimes/locations.js';
import type { ContainerModel, Reference, Severity } from '../schema/host-report.js';
import { SEVERITIES } from '../schema/report-values.js';

/** The site's container model (ContainerModel): which privilege model its users' runtimes rest on. */
export { SEVERITIES, type ContainerModel, type Reference, type Severity };

export type Operator =
  | 'eq'
  | 'ne'
  | 'in'
  | 'not_in'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'empty'
  | 'not_empty'
  | 'exists'
  | 'absent'
  | 'contains'
  | 'version_lt'
  | 'version_gte';
export const OPERATORS: Operator[] = [
  'eq',
  'ne',
  'in',
  'not_in',
  'gt',
  'gte',
  'lt',
  'lte',
  'empty',
  'not_empty',
  'exists',
  'absent',
  'contains',
  'version_lt',
  'version_gte',
];

export type Condition =
  | { fact: string; op: Operator; value?: FactValue | FactValue[] }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

/** Example facts (id -> value) and the status the rule must give them; the test suite runs every one. */
export interface RuleExample {
  facts: Record<string, FactValue>;
  model?: ContainerModel;
  expect: 'pass' | 'fail' | 'unknown' | 'not-applicable';
}

export interface Rule {
  id: string;
  title: string;
  severity: Severity;
  /** When false the rule is not-applicable; when unknown the rule is unknown. Omitted: always applies. */
  applies?: Condition;
  /** Pass when true, fail when false, unknown when a fact it needs is not known. */
  check: Condition;
  /** Container models the rule speaks for; under another model it is not-applicable and `tradeoff` says why. */
  models?: ContainerModel[];
  tradeoff?: string;
  /** Runtimes whose risk this rule raises when it fails; "setuid"/"unprivileged" mean every runtime in that mode. */
  affects: (RuntimeId | 'setuid' | 'unprivileged' | 'all')[];
  rationale: string;
  remediation: string;
  references: Reference[];
  /** Who recommends it: kernel docs, runtime docs, CIS, EGI SVG, ... */
  recommendedBy: string[];
  examples: RuleExample[];
}
