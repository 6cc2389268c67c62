// Writes one Red Hat security data extract (scripts/distro-data/inputs/redhat/<CVE>.json) from facts transcribed by
// hand from aquasecurity/vuln-list-redhat api/<year>/<CVE>.json, read one record at a time (docs/distro-data.md).
// Usage: node scripts/distro-data/write-redhat-extract.mjs < spec.json
//   spec: {cve, commit, public_date, threat_severity, cvss3, affected_release: [[cpe, nevr, advisory, date]],
//          package_state: [[cpe, package, fix_state]]}
import { readFileSync, writeFileSync } from 'node:fs';

const spec = JSON.parse(readFileSync(0, 'utf8'));
const meta = {
  schema: 'ctrsafe.redhat-extract/1',
  cve: spec.cve,
  source: {
    repository: 'aquasecurity/vuln-list-redhat',
    path: `api/${spec.cve.split('-')[1]}/${spec.cve}.json`,
    commit: spec.commit,
  },
  license: 'CC-BY-4.0 (Red Hat Security Data)',
  public_date: spec.public_date,
  threat_severity: spec.threat_severity,
  cvss3: spec.cvss3 ?? null,
  omitted:
    'rows of products other than Red Hat Enterprise Linux (OpenShift, Virtualization) and kpatch-patch',
};
const rows = (list) => list.map((r) => `    ${JSON.stringify(r)}`).join(',\n');
const block = (list) => `[\n${rows(list)}${list.length ? '\n' : ''}  ]`;
const text = `${JSON.stringify(meta, null, 2).slice(0, -2)},\n  "affected_release": ${block(spec.affected_release)},\n  "package_state": ${block(spec.package_state)}\n}\n`;
JSON.parse(text);
const out = new URL(`inputs/redhat/${spec.cve}.json`, import.meta.url);
writeFileSync(out, text);
process.stdout.write(`${out.pathname}\n`);
