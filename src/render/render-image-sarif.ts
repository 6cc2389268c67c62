// Renders image audits as SARIF 2.1.0, one result per failed or warned finding, located by the path inside the image.
import { KIND_DEFAULTS, type FindingKind } from '../image/audit-entries.js';
import type { ImageReport } from '../image/audit-image.js';
import { SECURITY_SEVERITY } from './render-sarif.js';

export function renderImageSarif(reports: ImageReport[], version: string): string {
  const kinds = Object.keys(KIND_DEFAULTS) as FindingKind[];
  const rules = kinds.map((k) => ({
    id: `image/${k}`,
    shortDescription: { text: KIND_DEFAULTS[k].title },
    defaultConfiguration: { level: KIND_DEFAULTS[k].status === 'fail' ? 'error' : 'warning' },
    properties: {
      'security-severity': SECURITY_SEVERITY[KIND_DEFAULTS[k].severity],
      tags: ['security', 'container-image'],
    },
  }));
  const results = reports.flatMap((r) =>
    r.findings
      .filter((f) => f.status !== 'pass')
      .map((f) => ({
        ruleId: `image/${f.id}`,
        level: f.status === 'fail' ? 'error' : 'warning',
        message: { text: `${f.path ?? r.image.path}: ${f.evidence}` },
        locations: [
          {
            physicalLocation: { artifactLocation: { uri: `file://${encodeURI(r.image.path)}` } },
            logicalLocations: f.path ? [{ fullyQualifiedName: f.path, kind: 'member' }] : [],
          },
        ],
      })),
  );
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: { name: 'ctrsafe', version, informationUri: 'https://github.com/ctrsafe/ctrsafe', rules },
        },
        results,
        // Each SIF's signature verdict, verified ones included (they raise no result).
        properties: {
          signatures: reports
            .filter((r) => r.image.signature !== undefined)
            .map((r) => ({
              image: r.image.path,
              verdict: r.image.signature?.verdict ?? 'not-verified',
              keys:
                r.image.signature?.keys.map((k) => ({ fingerprint: k.fingerprint, trusted: k.trusted })) ??
                [],
            })),
        },
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}
