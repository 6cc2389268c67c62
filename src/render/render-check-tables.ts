// A host report as CSV rows or JUnit suites (pure): every finding and vulnerability one row or test case.
import type { Report } from '../evaluate/build-report.js';
import { renderCsv } from './csv.js';
import { renderJunit, type JunitCase } from './render-junit.js';

const COLUMNS = [
  'host',
  'kind',
  'id',
  'severity',
  'status',
  'target',
  'title',
  'installed_version',
  'fixed_version',
  'evidence',
  'remediation',
];

export function renderCheckCsv(r: Report): string {
  const host = r.host.hostname ?? '';
  const rows = [
    ...r.findings.map((f) => [
      host,
      'rule',
      f.id,
      f.severity,
      f.status,
      '',
      f.title,
      null,
      null,
      f.evidence,
      f.remediation,
    ]),
    ...r.vulnerabilities.map((v) => [
      host,
      'vulnerability',
      v.id,
      v.severity,
      v.status,
      v.target,
      v.summary,
      v.installed_version,
      v.fixed_version,
      v.reason,
      v.fixed_version ? `update ${v.target} to ${v.fixed_version} or later` : '',
    ]),
  ];
  return renderCsv(COLUMNS, rows);
}

export function renderCheckJunit(r: Report): string {
  const host = r.host.hostname ?? 'unknown host';
  const rules = r.findings.map((f): JunitCase => {
    const c: JunitCase = { classname: `ctrsafe.rules.${host}`, name: `${f.id} ${f.title}` };
    if (f.status === 'fail')
      c.failure = {
        message: `${f.severity}: ${f.title}`,
        body: `found: ${f.evidence}\nfix: ${f.remediation}`,
      };
    else if (f.status === 'unknown') c.skipped = `not known: ${f.evidence}`;
    else if (f.status === 'not-applicable') c.skipped = 'not applicable to this host';
    return c;
  });
  const vulns = r.vulnerabilities.map((v): JunitCase => {
    const c: JunitCase = {
      classname: `ctrsafe.vulnerabilities.${host}`,
      name: `${v.id} ${v.target} ${v.installed_version ?? ''}`.trim(),
    };
    if (v.status === 'affected') c.failure = { message: `${v.severity}: ${v.summary}`, body: v.reason };
    else if (v.status === 'unknown') c.skipped = v.reason;
    return c;
  });
  return renderJunit([
    { name: `ctrsafe check ${host}: rules`, cases: rules },
    { name: `ctrsafe check ${host}: vulnerabilities`, cases: vulns },
  ]);
}
