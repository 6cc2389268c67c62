// Renders one rule in full (why it exists, how to fix it, who recommends it), or one advisory's verdicts here.
import type { Rule } from '../rules/rule.js';
import type { Finding } from '../evaluate/evaluate-rules.js';
import type { Report } from '../evaluate/build-report.js';
import type { Style } from './style.js';
import { escapeControl, escapeStrings } from './terminal-text.js';

export function renderExplain(rule: Rule, finding: Finding | null, st: Style): string {
  const out = [st.bold(`${rule.id}  ${rule.title}`), `severity: ${rule.severity}`];
  if (finding)
    out.push(
      `on this host: ${finding.status}${finding.evidence ? ` (${escapeControl(finding.evidence)})` : ''}`,
    );
  out.push('', st.bold('Why'), rule.rationale, '', st.bold('Fix'), rule.remediation);
  if (rule.tradeoff) out.push('', st.bold('Trade-off'), rule.tradeoff);
  if (rule.models) out.push('', `Applies to the container models: ${rule.models.join(', ')}`);
  out.push('', st.bold('Recommended by'), ...rule.recommendedBy.map((r) => `  - ${r}`));
  out.push('', st.bold('References'), ...rule.references.map((r) => `  - ${r.title}: ${r.url}`));
  return out.join('\n') + '\n';
}

/** Every verdict of one advisory on this host, with what decided it: `check --explain CVE-...`. */
export function renderVerdictExplain(id: string, report: Report, st: Style): string {
  // The verdicts' strings may come from a tree (package versions, reasons): escaped before they are printed.
  const r = escapeStrings({ vulnerabilities: report.vulnerabilities, resolved: report.resolved });
  const hits = [...r.vulnerabilities, ...r.resolved].filter((v) => v.id === id || v.aliases.includes(id));
  const out: string[] = [];
  for (const v of hits) {
    out.push(
      st.bold(`${v.id}${v.aliases.length ? ` (${v.aliases.slice(0, 4).join(', ')})` : ''}  ${v.summary}`),
    );
    out.push(
      `severity: ${v.severity}${v.known_exploited ? `; known exploited (${v.known_exploited.catalog}, added ${v.known_exploited.date_added})` : ''}`,
    );
    out.push(
      `on this host: ${v.status} (${v.target}${v.installed_version ? ` ${v.installed_version}` : ''})`,
    );
    if (v.fixed_version) out.push(`fixed in: ${v.fixed_version}${v.advisory ? ` (${v.advisory})` : ''}`);
    out.push(`decided by: ${v.package}: ${v.decided_by}${v.source_date ? `, ${v.source_date}` : ''}`);
    out.push(
      '',
      st.bold('Why'),
      v.reason,
      '',
      st.bold('References'),
      ...v.references.map((r) => `  - ${r}`),
      '',
    );
  }
  return out.join('\n');
}
