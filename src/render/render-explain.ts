// Renders one rule in full: why it exists, how to fix it, who recommends it, and its examples.
import type { Rule } from '../rules/rule.js';
import type { Finding } from '../evaluate/evaluate-rules.js';
import type { Style } from './style.js';
import { escapeControl } from './terminal-text.js';

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
