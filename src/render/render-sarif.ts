// Renders a report as SARIF 2.1.0 for code-scanning dashboards: failed rules and known vulnerabilities as results.
import type { Report } from '../evaluate/build-report.js';
import { RULES } from '../rules/catalogue.js';
import type { Severity } from '../rules/rule.js';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** SARIF levels (sarif-v2.1.0 §3.27.10) and GitHub's security-severity scale (0-10) for each severity. */
function level(s: Severity | 'low' | 'medium' | 'high' | 'critical'): 'error' | 'warning' | 'note' {
  return s === 'critical' || s === 'high' ? 'error' : s === 'medium' ? 'warning' : 'note';
}
export const SECURITY_SEVERITY: Record<string, string> = {
  critical: '9.5',
  high: '7.5',
  medium: '5.0',
  low: '2.0',
  info: '0.0',
};

export function renderSarif(r: Report): string {
  const host = r.host.hostname ?? 'unknown-host';
  const location = {
    logicalLocations: [{ name: host, fullyQualifiedName: r.host.root ?? host, kind: 'module' }],
  };
  const rules = [
    ...RULES.map((rule) => ({
      id: rule.id,
      name: rule.id.replace(/-/g, ''),
      shortDescription: { text: rule.title },
      fullDescription: { text: rule.rationale },
      help: {
        text: `${rule.remediation}\n\nReferences:\n${rule.references.map((x) => `- ${x.title}: ${x.url}`).join('\n')}`,
      },
      helpUri: rule.references[0]?.url,
      defaultConfiguration: { level: level(rule.severity) },
      properties: {
        'security-severity': SECURITY_SEVERITY[rule.severity],
        tags: ['security', 'container', ...rule.recommendedBy.slice(0, 3)],
      },
    })),
    ...[...new Map(r.vulnerabilities.map((v) => [v.id, v])).values()].map((v) => ({
      id: v.id,
      shortDescription: { text: v.summary.slice(0, 1000) },
      helpUri: v.references[0],
      defaultConfiguration: { level: level(v.severity) },
      properties: {
        'security-severity': SECURITY_SEVERITY[v.severity],
        tags: ['security', 'vulnerability', v.target, ...v.aliases.slice(0, 5)],
      },
    })),
  ];
  const results = [
    ...r.findings
      .filter((f) => f.status === 'fail')
      .map((f) => ({
        ruleId: f.id,
        level: level(f.severity),
        message: { text: `${f.title}: ${f.evidence}. Fix: ${f.remediation}` },
        locations: [location],
        properties: { status: f.status },
      })),
    ...r.vulnerabilities
      .filter((v) => v.status !== 'mitigated')
      .map((v) => ({
        ruleId: v.id,
        level: v.status === 'affected' ? level(v.severity) : 'note',
        message: { text: `${v.id} (${v.status}) in ${v.target} ${v.installed_version ?? ''}: ${v.reason}` },
        locations: [location],
        properties: {
          status: v.status,
          exposure: v.exposure,
          package: v.package,
          installed_version: v.installed_version,
          fixed_version: v.fixed_version,
        },
      })),
  ];
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'ctrsafe',
            version: r.tool.version,
            informationUri: 'https://github.com/ctrsafe/ctrsafe',
            rules,
          },
        },
        invocations: [{ executionSuccessful: true, endTimeUtc: r.generated_at }],
        results,
        properties: { host, kernel: r.host.kernel, os: r.host.os, model: r.model.value },
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}
