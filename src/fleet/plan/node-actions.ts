// What one node needs done, derived from its report: kernel and package updates for affected vulnerabilities, rule fixes.
import { createHash } from 'node:crypto';
import { compareDebian } from '../../version/compare-debian.js';
import { compareRpm } from '../../version/compare-rpm.js';
import { compareUpstream } from '../../version/compare-upstream.js';
import type { FleetReport } from '../store/server-facts.js';

export type ActionKind = 'kernel-update' | 'package-update' | 'rule-fix';

export interface NodeAction {
  /** Same work on the same starting point gives the same key on every node, so nodes group by it. */
  key: string;
  kind: ActionKind;
  title: string;
  /** What the action removes: vulnerability ids or the rule id. */
  fixes: string[];
  /** Risk removed on this node: the sum of the severity weights of what it fixes. */
  weight: number;
}

/**
 * Severity weights for ordering the plan. The severities are CVSS v3.1's qualitative scale (FIRST, CVSS v3.1
 * specification, section 5); the weights are ctrsafe's choice. They grow about fivefold per step, so severity
 * leads and node counts decide between near equals: a high on 10 nodes (250) comes before a low on 200 (200).
 * A vulnerability in CISA's Known Exploited Vulnerabilities catalogue outweighs any sum of severities a fleet can
 * reach (a million nodes times a thousand): what is exploited now is patched first, on one node or on all
 * (issue 12). The plan is ordered by weight alone, so this is how that order holds.
 */
export const SEVERITY_WEIGHT: Record<string, number> = { critical: 100, high: 25, medium: 5, low: 1 };
export const KNOWN_EXPLOITED_WEIGHT = 1_000_000_000;
const weightOf = (v: { severity: string; known_exploited?: unknown }) =>
  v.known_exploited ? KNOWN_EXPLOITED_WEIGHT : (SEVERITY_WEIGHT[v.severity] ?? 1);

/**
 * Keys already made: the same update on thousands of nodes is hashed once (a third of deriving a report's state
 * went to SHA-256 at ingest). Bounded: short inputs only, and forgotten when full.
 */
const keysMade = new Map<string, string>();

export const actionKey = (kind: ActionKind, parts: (string | null | undefined)[]) => {
  const text = parts.map((p) => p ?? '').join('\n');
  const memo = `${kind}\n${text}`;
  let key = keysMade.get(memo);
  if (key === undefined) {
    key = `${kind}:${createHash('sha256').update(text).digest('hex').slice(0, 20)}`;
    if (memo.length <= 1024) {
      if (keysMade.size >= 20_000) keysMade.clear();
      keysMade.set(memo, key);
    }
  }
  return key;
};

type Vuln = FleetReport['vulnerabilities'][number];

/** The version order of what decided: rpm for RHEL-family and SUSE releases, dpkg for Debian and Ubuntu. */
function comparatorFor(pkg: string): (a: string, b: string) => number | null {
  if (/^(Debian|Ubuntu)/.test(pkg)) return compareDebian;
  if (/^(Red Hat|AlmaLinux|Rocky Linux|SUSE|openSUSE)/.test(pkg)) return compareRpm;
  return compareUpstream;
}

const byId = (a: Vuln, b: Vuln) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * One update per package and release that decided: "to at least X (advisory Y)", X the highest fixed version
 * any affected advisory needs. Nodes that need the same X group together whatever they run now, so the key,
 * title and fixes hold only what X and the advisories fixed exactly at X say (the same on every node).
 */
function updates(kind: 'kernel-update' | 'package-update', affected: Vuln[]): NodeAction[] {
  const out: NodeAction[] = [];
  const groups = new Map<string, Vuln[]>();
  for (const v of affected) {
    const k = `${v.target ?? ''}\n${v.package ?? v.target ?? 'unknown package'}`;
    groups.set(k, [...(groups.get(k) ?? []), v]);
  }
  for (const [k, vs] of groups) {
    const [target, pkg] = k.split('\n') as [string, string];
    const what = kind === 'kernel-update' ? 'the kernel' : target || pkg;
    const cmp = comparatorFor(pkg);
    const withFix = vs.filter((v) => v.fixed_version);
    const unfixed = vs.filter((v) => !v.fixed_version).sort(byId);
    const weight = vs.reduce((s, v) => s + weightOf(v), 0);
    if (withFix.length > 0) {
      const top = withFix.reduce((a, b) => ((cmp(b.fixed_version!, a.fixed_version!) ?? 0) > 0 ? b : a));
      const x = top.fixed_version!;
      const atX = withFix.filter((v) => v.fixed_version === x).sort(byId);
      const advisories = [...new Set(atX.map((v) => v.advisory).filter((a): a is string => !!a))].sort();
      const kev = atX.filter((v) => v.known_exploited).map((v) => v.id);
      out.push({
        key: actionKey(kind, [pkg, x]),
        kind,
        title: `Update ${what} (${pkg}) to at least ${x}${advisories.length ? ` (${advisories.join(', ')})` : ''}${kev.length ? `; known exploited: ${kev.join(', ')}` : ''}`,
        fixes: [...advisories, ...atX.map((v) => v.id)],
        // The whole update removes every affected flaw with a fix on this node; the unfixed ones stay.
        weight: withFix.reduce((s, v) => s + weightOf(v), 0),
      });
    }
    if (unfixed.length > 0)
      out.push({
        key: actionKey(kind, [pkg, 'no fix released', ...unfixed.map((v) => v.id)]),
        kind,
        title: `No fix released for ${what} (${pkg}) yet: mitigate ${unfixed.map((v) => v.id).join(', ')} until one is`,
        fixes: unfixed.map((v) => v.id),
        weight: weight - withFix.reduce((s, v) => s + weightOf(v), 0),
      });
  }
  return out;
}

export function actionsForReport(r: FleetReport): NodeAction[] {
  const affected = r.vulnerabilities.filter((v) => v.status === 'affected').sort(byId);
  const out: NodeAction[] = [
    ...updates(
      'kernel-update',
      affected.filter((v) => v.target === 'kernel'),
    ),
    ...updates(
      'package-update',
      affected.filter((v) => v.target !== 'kernel'),
    ),
  ];
  for (const f of r.findings) {
    if (f.status !== 'fail') continue;
    const what = f.remediation ?? `make rule ${f.id} pass`;
    out.push({
      key: actionKey('rule-fix', [f.id, what]),
      kind: 'rule-fix',
      title: `${f.id}${f.title ? ` (${f.title})` : ''}: ${what}`,
      fixes: [f.id],
      weight: SEVERITY_WEIGHT[f.severity] ?? 1,
    });
  }
  return out;
}
