// The JSON Schema files ctrsafe publishes (docs/schema/), each from a declaration of this folder, with its version
// and a digest of its content: a declaration that changes without a version bump is caught (test/schema/schema.test.ts).
import { createHash } from 'node:crypto';
import type { TSchema } from 'typebox';
import { ADVISORY_RECORD_VERSION, AdvisoryRecord } from './advisory-record.js';
import { HOST_REPORT_VERSION, HostReport } from './host-report.js';
import { FLEET_API_BODIES, FLEET_API_VERSION } from './fleet-api.js';
import { IMAGE_REPORT_VERSION, ImageReport } from './image-report.js';
import {
  GATE_POLICY_VERSION,
  GatePolicyDocument,
  IMAGE_POLICY_VERSION,
  ImagePolicyDocument,
} from './policy-documents.js';
import { GateInput, NodeReport } from './node-report.js';

/**
 * A document of several bodies (an API's answers): each under $defs by name (`file.json#/$defs/summary`), and the
 * document itself accepts any one of them.
 */
function bodies(title: string, defs: Record<string, TSchema>): TSchema {
  return {
    title,
    anyOf: Object.keys(defs).map((k) => ({ $ref: `#/$defs/${k}` })),
    $defs: defs,
  } as unknown as TSchema;
}

export interface PublishedSchema {
  /** The document, as its CHANGELOG lines name it: "<document> schema <version>". */
  document: 'host report' | 'image report' | 'fleet API' | 'image policy' | 'gate policy' | 'advisory record';
  /** The file under docs/schema/. */
  file: string;
  /** The document's version (semver): a new optional field is a minor bump, anything a reader may trip on a major. */
  version: string;
  schema: TSchema;
}

export const PUBLISHED: readonly PublishedSchema[] = [
  {
    document: 'host report',
    file: 'ctrsafe.report-1.json',
    version: HOST_REPORT_VERSION,
    schema: HostReport,
  },
  {
    document: 'host report',
    file: 'ctrsafe.report-1.fleet-ingest.json',
    version: HOST_REPORT_VERSION,
    schema: NodeReport,
  },
  {
    document: 'host report',
    file: 'ctrsafe.report-1.gate-input.json',
    version: HOST_REPORT_VERSION,
    schema: GateInput,
  },
  {
    document: 'image report',
    file: 'ctrsafe.image-1.json',
    version: IMAGE_REPORT_VERSION,
    schema: ImageReport,
  },
  {
    document: 'fleet API',
    file: 'ctrsafe.fleet-api-1.json',
    version: FLEET_API_VERSION,
    schema: bodies('ctrsafe fleet API answers', FLEET_API_BODIES),
  },
  {
    document: 'image policy',
    file: 'ctrsafe.image-policy-1.json',
    version: IMAGE_POLICY_VERSION,
    schema: ImagePolicyDocument,
  },
  {
    document: 'gate policy',
    file: 'ctrsafe.gate-policy-1.json',
    version: GATE_POLICY_VERSION,
    schema: GatePolicyDocument,
  },
  {
    document: 'advisory record',
    file: 'ctrsafe.advisory-1.json',
    version: ADVISORY_RECORD_VERSION,
    schema: AdvisoryRecord,
  },
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
