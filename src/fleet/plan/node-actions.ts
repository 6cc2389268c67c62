// What one node needs done, derived from its report: kernel and package updates for affected vulnerabilities, rule fixes.
import { createHash } from 'node:crypto';
import type { NodeReport } from '../validate-report.js';

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
 */
export const SEVERITY_WEIGHT: Record<string, number> = { critical: 100, high: 25, medium: 5, low: 1 };
const weightOf = (severity: string) => SEVERITY_WEIGHT[severity] ?? 1;

const keyOf = (kind: ActionKind, parts: (string | null | undefined)[]) =>
  `${kind}:${createHash('sha256')
    .update(parts.map((p) => p ?? '').join('\n'))
    .digest('hex')
    .slice(0, 20)}`;

/** Lists CVE ids, with the fixed version where the database knows it: "CVE-1 (fixed in 1.2), CVE-2". */
function fixList(vs: NodeReport['vulnerabilities']): string {
  const shown = vs.slice(0, 8).map((v) => (v.fixed_version ? `${v.id} (fixed in ${v.fixed_version})` : v.id));
  return vs.length > 8 ? `${shown.join(', ')} and ${vs.length - 8} more` : shown.join(', ');
}

export function actionsForReport(r: NodeReport): NodeAction[] {
  const out: NodeAction[] = [];
  const affected = r.vulnerabilities
    .filter((v) => v.status === 'affected')
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const kernel = affected.filter((v) => v.target === 'kernel');
  if (kernel.length) {
    const release = r.host.kernel.release ?? kernel[0]!.installed_version ?? 'an unknown release';
    out.push({
      key: keyOf('kernel-update', [release, ...kernel.map((v) => `${v.id}=${v.fixed_version ?? ''}`)]),
      kind: 'kernel-update',
      title: `Update the kernel from ${release} to a release with fixes for ${fixList(kernel)}`,
      fixes: kernel.map((v) => v.id),
      weight: kernel.reduce((s, v) => s + weightOf(v.severity), 0),
    });
  }
  // Everything else groups by package and installed version: one update on one starting point.
  const byPackage = new Map<string, NodeReport['vulnerabilities']>();
  for (const v of affected.filter((x) => x.target !== 'kernel')) {
    const k = `${v.package ?? v.target ?? 'unknown package'}\n${v.installed_version ?? ''}`;
    byPackage.set(k, [...(byPackage.get(k) ?? []), v]);
  }
  for (const [k, vs] of byPackage) {
    const [pkg, installed] = k.split('\n') as [string, string];
    out.push({
      key: keyOf('package-update', [pkg, installed, ...vs.map((v) => `${v.id}=${v.fixed_version ?? ''}`)]),
      kind: 'package-update',
      title: `Update ${pkg}${installed ? ` from ${installed}` : ''} to a version with fixes for ${fixList(vs)}`,
      fixes: vs.map((v) => v.id),
      weight: vs.reduce((s, v) => s + weightOf(v.severity), 0),
    });
  }
  for (const f of r.findings) {
    if (f.status !== 'fail') continue;
    const what = f.remediation ?? `make rule ${f.id} pass`;
    out.push({
      key: keyOf('rule-fix', [f.id, what]),
      kind: 'rule-fix',
      title: `${f.id}${f.title ? ` (${f.title})` : ''}: ${what}`,
      fixes: [f.id],
      weight: weightOf(f.severity),
    });
  }
  return out;
}
