// One verdict per SIF from its signatures' checks (pure): which objects are covered, by whom, and whether it holds.
//
// The coverage rules are `apptainer verify`'s defaults (sylabs/sif pkg/integrity/verify.go NewVerifier and Verify):
// every object group needs a non-legacy signature, each signature linked to a group must list exactly the group's
// objects (objectIDsMatch), and every non-signature object must belong to a group (errNonGroupedObject). Legacy
// "SIFHASH" signatures cover no descriptor and no header and count only under --legacy-insecure: here never.
import type {
  SignatureCheck,
  SignatureReport,
  SignatureVerdict,
  SignerKey,
} from '../../schema/image-report.js';

export type { SignatureCheck, SignatureReport, SignatureVerdict, SignerKey };
export const SIGNATURE_VERDICTS: SignatureVerdict[] = [
  'verified',
  'signed-untrusted-key',
  'signed-partially',
  'signature-invalid',
  'unsigned',
];

export interface DataObject {
  id: number;
  group: number | null;
  primary: boolean;
}

const list = (xs: (number | string)[]) => xs.join(', ');
const groupTarget = (g: number) => `group ${g}`;

/** Objects no signature covers, in ID order, and why (the first reason). */
function coverage(
  objects: DataObject[],
  checks: SignatureCheck[],
): { covered: number[]; uncovered: number[]; why: string[] } {
  const uncovered = new Set<number>();
  const why: string[] = [];
  const covered = new Set<number>();
  const groups = new Map<number, number[]>();
  for (const o of objects) {
    if (o.group === null) {
      uncovered.add(o.id);
      continue;
    }
    const g = groups.get(o.group);
    if (g) g.push(o.id);
    else groups.set(o.group, [o.id]);
  }
  const ungrouped = objects.filter((o) => o.group === null).map((o) => o.id);
  if (ungrouped.length)
    why.push(
      `object${ungrouped.length > 1 ? 's' : ''} ${list(ungrouped)} belong to no group, so no signature can cover them`,
    );
  for (const [g, ids] of [...groups].sort((a, b) => a[0] - b[0])) {
    const sigs = checks.filter((c) => c.target === groupTarget(g) && c.status !== 'ignored');
    if (sigs.length === 0) {
      ids.forEach((id) => uncovered.add(id));
      why.push(`group ${g} (object${ids.length > 1 ? 's' : ''} ${list(ids)}) has no signature`);
      continue;
    }
    for (const s of sigs) {
      const missing = ids.filter((id) => !s.covers.includes(id));
      missing.forEach((id) => uncovered.add(id));
      if (missing.length)
        why.push(
          `signature object ${s.object} does not list object${missing.length > 1 ? 's' : ''} ${list(missing)} of group ${g} (added after signing)`,
        );
      if (s.status !== 'invalid') s.covers.filter((id) => ids.includes(id)).forEach((id) => covered.add(id));
    }
  }
  for (const id of uncovered) covered.delete(id);
  return {
    covered: [...covered].sort((a, b) => a - b),
    uncovered: [...uncovered].sort((a, b) => a - b),
    why,
  };
}

function uniqueKeys(checks: SignatureCheck[]): SignerKey[] {
  const seen = new Map<string, SignerKey>();
  for (const c of checks)
    for (const k of c.keys) {
      const had = seen.get(k.fingerprint);
      if (!had || (!had.trusted && k.trusted)) seen.set(k.fingerprint, k);
    }
  return [...seen.values()].sort((a, b) => Number(b.trusted) - Number(a.trusted));
}

/** The verdict over an image's data objects and its signatures' checks. */
export function judgeSignatures(
  objects: DataObject[],
  checks: SignatureCheck[],
  keyring: SignatureReport['keyring'],
): SignatureReport {
  const { covered, uncovered, why } = coverage(objects, checks);
  const holding = checks.filter((c) => c.status === 'valid' || c.status === 'untrusted-key');
  const times = holding
    .map((c) => c.signed_at)
    .filter((t): t is string => t !== null)
    .sort();
  const base = {
    keys: uniqueKeys(checks),
    signed_at: times[times.length - 1] ?? null,
    covered,
    uncovered,
    signatures: checks,
    keyring,
  };
  if (checks.length === 0)
    return {
      verdict: 'unsigned',
      reason: 'the SIF holds no signature object',
      ...base,
      covered: [],
      uncovered: objects.map((o) => o.id),
    };
  const invalid = checks.find((c) => c.status === 'invalid');
  if (invalid)
    return {
      verdict: 'signature-invalid',
      reason: `signature object ${invalid.object}: ${invalid.detail}`,
      ...base,
    };
  const legacy = checks.filter((c) => c.legacy).map((c) => c.object);
  const legacyNote = legacy.length
    ? `; signature object${legacy.length > 1 ? 's' : ''} ${list(legacy)} ${legacy.length > 1 ? 'are' : 'is a'} legacy (SIFHASH) signature${legacy.length > 1 ? 's' : ''}, which cover${legacy.length > 1 ? '' : 's'} no descriptor or header and which apptainer verify accepts only with --legacy-insecure`
    : '';
  if (uncovered.length > 0 || holding.length === 0) {
    const primary = objects.find((o) => o.primary && uncovered.includes(o.id));
    const head = primary ? `the primary system partition (object ${primary.id}) is not covered: ` : '';
    return {
      verdict: 'signed-partially',
      reason: `${head}${why.join('; ') || 'no signature covers any object'}${legacyNote}`,
      ...base,
    };
  }
  const groups = [...new Set(objects.map((o) => o.group!))].sort((a, b) => a - b);
  const untrustedGroups = groups.filter(
    (g) => !checks.some((c) => c.target === groupTarget(g) && c.status === 'valid'),
  );
  if (untrustedGroups.length === 0) {
    const trusted = base.keys.filter((k) => k.trusted).map((k) => k.fingerprint);
    return {
      verdict: 'verified',
      reason: `objects ${list(covered)} are covered by valid signatures from trusted key${trusted.length > 1 ? 's' : ''} ${list(trusted)}`,
      ...base,
    };
  }
  const unknown = base.keys.filter((k) => !k.trusted).map((k) => k.fingerprint);
  return {
    verdict: 'signed-untrusted-key',
    reason: `group${untrustedGroups.length > 1 ? 's' : ''} ${list(untrustedGroups)} ${untrustedGroups.length > 1 ? 'are' : 'is'} signed by no key in ${keyring ? `the keyring (${keyring.sources.join(', ')})` : 'a keyring (none was given)'}${unknown.length ? `; signed by ${list(unknown)}` : ''}`,
    ...base,
  };
}
