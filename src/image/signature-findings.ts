// A SIF's signature verdict as image findings, and the policy's require_signature applied to them (pure).
import { finding, KIND_DEFAULTS, type FindingKind, type ImageFinding } from './audit-entries.js';
import type { SignatureReport, SignatureVerdict } from './sif/signature-verdict.js';
import { REQUIRE_SIGNATURE, type RequireSignature } from '../schema/report-values.js';

/** trusted: only `verified` passes; any: a complete, unchanged signature by any key; none: signatures not required. */
export { REQUIRE_SIGNATURE, type RequireSignature };

const KIND_OF: Record<Exclude<SignatureVerdict, 'verified'>, FindingKind> = {
  unsigned: 'unsigned-sif',
  'signed-partially': 'sif-signed-partially',
  'signed-untrusted-key': 'sif-untrusted-key',
  'signature-invalid': 'sif-signature-invalid',
};
export const SIGNATURE_KINDS: FindingKind[] = Object.values(KIND_OF);

/** The finding the verdict raises (none for `verified`), and a pass for every signature kind it does not raise. */
export function signatureFindings(r: SignatureReport): ImageFinding[] {
  const raised = r.verdict === 'verified' ? null : KIND_OF[r.verdict];
  return SIGNATURE_KINDS.map((k) =>
    k === raised
      ? finding(k, null, `${r.verdict}: ${r.reason}`)
      : {
          ...finding(k, null, `${r.verdict}: ${r.reason}`),
          status: 'pass' as const,
          severity: 'info' as const,
        },
  );
}

export function acceptsSignature(req: RequireSignature, verdict: SignatureVerdict | null): boolean {
  if (req === 'none') return true;
  if (req === 'any') return verdict === 'verified' || verdict === 'signed-untrusted-key';
  return verdict === 'verified';
}

/**
 * Applies require_signature after the policy's kinds and waivers, so neither can relax it: the verdict's finding
 * fails, or (for formats that carry no SIF signature, and SIFs whose signatures could not be read) an unsigned-image
 * finding is added.
 */
export function enforceSignature(
  findings: ImageFinding[],
  signature: SignatureReport | null,
  format: string,
  requirement: { level: RequireSignature; source: string },
): ImageFinding[] {
  const { level: req, source } = requirement;
  const verdict = signature?.verdict ?? null;
  if (acceptsSignature(req, verdict)) return findings;
  const why = `require_signature = ${req} (${source})`;
  if (verdict === null || verdict === 'verified')
    return [
      ...findings,
      finding(
        'unsigned-image',
        null,
        `${format === 'sif' ? 'the SIF signatures could not be verified' : `a ${format} image carries no SIF signature (ctrsafe verifies SIF signatures only)`}; ${why}`,
      ),
    ];
  const kind = KIND_OF[verdict];
  return findings.map((f) =>
    f.id === kind && f.path === null
      ? {
          ...f,
          status: 'fail',
          severity: f.severity === 'info' ? KIND_DEFAULTS[kind].severity : f.severity,
          evidence: `${f.evidence}; ${why}`,
        }
      : f,
  );
}
