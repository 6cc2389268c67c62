// Image audits as CSV rows or JUnit suites (pure): every finding one row or test case.
import type { ImageReport } from '../image/audit-image.js';
import { renderCsv } from './csv.js';
import { renderJunit } from './render-junit.js';

export function renderImageCsv(reports: readonly ImageReport[]): string {
  return renderCsv(
    ['image', 'format', 'id', 'severity', 'status', 'path', 'evidence'],
    reports.flatMap((r) =>
      r.findings.map((f) => [
        r.image.path,
        r.image.format,
        f.id,
        f.severity,
        f.status,
        f.path ?? '',
        f.evidence,
      ]),
    ),
  );
}

export function renderImageJunit(reports: readonly ImageReport[]): string {
  return renderJunit(
    reports.map((r) => ({
      name: `ctrsafe image audit ${r.image.path}`,
      cases: r.findings.map((f) => ({
        classname: `ctrsafe.image.${f.id}`,
        name: `${f.id} ${f.path ?? '(image file)'}`,
        ...(f.status === 'fail' ? { failure: { message: `${f.severity}: ${f.id}`, body: f.evidence } } : {}),
      })),
    })),
  );
}
