// A site's image policy (YAML or JSON): allow, warn or deny each finding kind, per path, with expiring waivers.
import { InputError } from '../errors.js';
import { readPolicyDocument } from '../policy-document.js';
import { documentProblem } from '../schema/check-document.js';
import { ImagePolicyDocument, type ImagePolicyAction } from '../schema/policy-documents.js';
import type { FindingKind, ImageFinding } from './audit-entries.js';
import { baselineNote, type ImageProfile } from './image-profile.js';
import type { RequireSignature } from './signature-findings.js';

export type Action = ImagePolicyAction;

export interface ImagePolicy {
  kinds: Partial<Record<FindingKind, Action>>;
  paths: { path: string; kind?: FindingKind; action: Action; matcher: RegExp }[];
  waivers: { kind: FindingKind; path?: string; reason: string; expires: string; matcher: RegExp | null }[];
  /** SIF signatures: trusted (only `verified` passes), any (complete and unchanged, any key) or none (default). */
  requireSignature: RequireSignature;
  /** The built-in starting point the policy refines (image-profile.ts); baseline unless it says strict. */
  profile: ImageProfile;
  source: string;
}

const MAX_POLICY_BYTES = 1024 * 1024;

/** Shell-style globs: "*" within one path component, "**" across components. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Validates a parsed policy document (its declaration: src/schema/policy-documents.ts); one line naming the field. */
export function parsePolicy(doc: unknown, src: string): ImagePolicy {
  const why = documentProblem(ImagePolicyDocument, doc);
  if (why) throw new InputError(`${src}: ${why}`);
  const d = doc as ImagePolicyDocument;
  return {
    kinds: d.kinds ?? {},
    paths: (d.paths ?? []).map((p) => ({ ...p, matcher: globToRegExp(p.path) })),
    waivers: (d.waivers ?? []).map((w) => ({
      kind: w.kind,
      ...(w.path !== undefined ? { path: w.path } : {}),
      reason: w.reason.trim(),
      expires: w.expires,
      matcher: w.path !== undefined ? globToRegExp(w.path) : null,
    })),
    requireSignature: d.require_signature ?? 'none',
    profile: d.profile ?? 'baseline',
    source: src,
  };
}

export function loadPolicy(file: string): ImagePolicy {
  return parsePolicy(readPolicyDocument(file, MAX_POLICY_BYTES), file);
}

/**
 * Applies a policy to findings (pure). What the policy says (a kind's or a path's action, a waiver) comes first;
 * a finding it says nothing about is judged by the profile: under baseline, stock content passes with its reason
 * (image-profile.ts). A waiver past its expiry date no longer applies and is reported.
 */
export function applyPolicy(
  findings: ImageFinding[],
  policy: ImagePolicy | null,
  now: Date,
  profile: ImageProfile = policy?.profile ?? 'baseline',
): ImageFinding[] {
  const base = (f: ImageFinding): ImageFinding => {
    const note = profile === 'baseline' && f.status !== 'pass' ? baselineNote(f) : null;
    return note
      ? { ...f, status: 'pass', severity: 'info', evidence: `${f.evidence}; baseline profile: ${note}` }
      : f;
  };
  if (!policy) return findings.map(base);
  const today = now.toISOString().slice(0, 10);
  const out: ImageFinding[] = [];
  const expiredSeen = new Set<number>();
  for (const f of findings) {
    if (f.status === 'pass') {
      out.push(f);
      continue;
    }
    let action: Action | undefined = policy.kinds[f.id];
    let why = action ? `policy ${policy.source}: kinds.${f.id} = ${action}` : '';
    for (const p of policy.paths) {
      if (f.path !== null && p.matcher.test(f.path) && (!p.kind || p.kind === f.id)) {
        action = p.action;
        why = `policy ${policy.source}: ${p.path}${p.kind ? ` (${p.kind})` : ''} = ${p.action}`;
      }
    }
    const waiverAt = policy.waivers.findIndex(
      (w) => w.kind === f.id && (w.matcher === null || (f.path !== null && w.matcher.test(f.path))),
    );
    const waiver = waiverAt >= 0 ? policy.waivers[waiverAt]! : null;
    if (waiver && waiver.expires >= today) {
      out.push({
        ...f,
        status: 'pass',
        evidence: `${f.evidence}; waived until ${waiver.expires}: ${waiver.reason}`,
      });
      continue;
    }
    if (waiver && !expiredSeen.has(waiverAt)) {
      expiredSeen.add(waiverAt);
      out.push({
        id: f.id,
        severity: 'low',
        status: 'warn',
        path: waiver.path ?? null,
        evidence: `the waiver for ${f.id}${waiver.path ? ` at ${waiver.path}` : ''} expired on ${waiver.expires} (${waiver.reason})`,
      });
    }
    if (action === 'allow') out.push({ ...f, status: 'pass', evidence: `${f.evidence}; allowed by ${why}` });
    else if (action === 'warn') out.push({ ...f, status: 'warn', evidence: `${f.evidence}; ${why}` });
    else if (action === 'deny') out.push({ ...f, status: 'fail', evidence: `${f.evidence}; ${why}` });
    else out.push(waiver ? f : base(f));
  }
  return out;
}
