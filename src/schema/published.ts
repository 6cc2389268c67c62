// The JSON Schema files ctrsafe publishes (docs/schema/), each from a declaration of this folder, with its version
// and a digest of its content: a declaration that changes without a version bump is caught (test/schema.test.ts).
import { createHash } from 'node:crypto';
import type { TSchema } from 'typebox';
import { HOST_REPORT_VERSION, HostReport } from './host-report.js';
import { GateInput, NodeReport } from './node-report.js';

export interface PublishedSchema {
  /** The file under docs/schema/. */
  file: string;
  /** The document's version (semver): a new optional field is a minor bump, anything a reader may trip on a major. */
  version: string;
  schema: TSchema;
}

export const PUBLISHED: readonly PublishedSchema[] = [
  { file: 'ctrsafe.report-1.json', version: HOST_REPORT_VERSION, schema: HostReport },
  { file: 'ctrsafe.report-1.fleet-ingest.json', version: HOST_REPORT_VERSION, schema: NodeReport },
  { file: 'ctrsafe.report-1.gate-input.json', version: HOST_REPORT_VERSION, schema: GateInput },
];

/** sha256 of the declaration alone (not the version line): what must not change within one version. */
export function schemaDigest(s: TSchema): string {
  return createHash('sha256').update(JSON.stringify(s)).digest('hex');
}

/** The file's text: the declaration with the JSON Schema dialect and ctrsafe's version beside it. */
export function publishedText(p: PublishedSchema): string {
  const doc = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    'x-ctrsafe-version': p.version,
    ...(p.schema as Record<string, unknown>),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
