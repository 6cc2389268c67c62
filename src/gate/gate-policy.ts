// The site's gate policy (YAML or JSON): runtimes that must run, severities not tolerated, waivers with expiry.
import { InputError } from '../errors.js';
import type { RequireSignature } from '../image/signature-findings.js';
import { readPolicyDocument } from '../policy-document.js';
import type { RuntimeId } from '../runtimes/locations.js';
import type { Severity } from '../rules/rule.js';
import { documentProblem } from '../schema/check-document.js';
import { GatePolicyDocument } from '../schema/policy-documents.js';

export interface GateWaiver {
  /** A rule id (CS-...) or a vulnerability id (CVE-..., GHSA-...). */
  id: string;
  reason: string;
  /** YYYY-MM-DD; the waiver no longer applies after this day. */
  expires: string;
}

export interface GatePolicy {
  requireReady: RuntimeId[];
  /** Failed rules at or above this severity fail the node. */
  failOn: Severity;
  /** Affected vulnerabilities at or above this severity fail the node; null: vulnerabilities never do. */
  vulnerabilities: Severity | null;
  /** A required runtime whose readiness cannot be established: fail (default) or pass. */
  unknownReady: 'fail' | 'pass';
  /** When ctrsafe itself cannot judge the node: pass (default: never drain for our own error) or fail. */
  onError: 'pass' | 'fail';
  timeoutSeconds: number;
  imagePolicy: string | null;
  /** SIF signatures the image gate requires, on top of the image policy's (the stricter applies). */
  requireSignature: RequireSignature;
  /** Key files or directories the image gate trusts; null: /etc/ctrsafe/keys when it exists. */
  keyring: string[] | null;
  waivers: GateWaiver[];
  source: string;
}

/** Without a policy file: only critical failures and critical affected vulnerabilities fail a node. */
export const DEFAULT_GATE_POLICY: GatePolicy = {
  requireReady: [],
  failOn: 'critical',
  vulnerabilities: 'critical',
  unknownReady: 'fail',
  onError: 'pass',
  timeoutSeconds: 30,
  imagePolicy: null,
  requireSignature: 'none',
  keyring: null,
  waivers: [],
  source: 'built-in default',
};

const MAX_POLICY_BYTES = 256 * 1024;

/** Validates a parsed policy document (its declaration: src/schema/policy-documents.ts); one line naming the field. */
export function parseGatePolicy(doc: unknown, src: string): GatePolicy {
  const why = documentProblem(GatePolicyDocument, doc);
  if (why) throw new InputError(`${src}: ${why}`);
  const d = doc as GatePolicyDocument;
  const p = DEFAULT_GATE_POLICY;
  return {
    requireReady: d.require_ready ?? p.requireReady,
    failOn: d.fail_on ?? p.failOn,
    vulnerabilities: d.vulnerabilities === 'none' ? null : (d.vulnerabilities ?? p.vulnerabilities),
    unknownReady: d.unknown_ready ?? p.unknownReady,
    onError: d.on_error ?? p.onError,
    timeoutSeconds: d.timeout_seconds ?? p.timeoutSeconds,
    imagePolicy: d.image_policy ?? p.imagePolicy,
    requireSignature: d.require_signature ?? p.requireSignature,
    keyring: typeof d.keyring === 'string' ? [d.keyring] : (d.keyring ?? p.keyring),
    waivers: (d.waivers ?? []).map((w) => ({ id: w.id, reason: w.reason.trim(), expires: w.expires })),
    source: src,
  };
}

export function loadGatePolicy(file: string): GatePolicy {
  return parseGatePolicy(readPolicyDocument(file, MAX_POLICY_BYTES), file);
}
