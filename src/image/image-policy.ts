// A site's image policy (YAML or JSON): allow, warn or deny each finding kind, per path, with expiring waivers.
import { InputError } from '../errors.js';
import { readPolicyDocument, waiverReasonAndExpiry } from '../policy-document.js';
import { KIND_DEFAULTS, type FindingKind, type ImageFinding } from './audit-entries.js';
import { baselineNote, IMAGE_PROFILES, type ImageProfile } from './image-profile.js';
import { REQUIRE_SIGNATURE, type RequireSignature } from './signature-findings.js';

export type Action = 'deny' | 'warn' | 'allow';

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

const ACTIONS: Action[] = ['deny', 'warn', 'allow'];
const KINDS = Object.keys(KIND_DEFAULTS) as FindingKind[];
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

function fail(src: string, where: string, msg: string): never {
  throw new InputError(`${src}: ${where}: ${msg}`);
}

function kindOf(src: string, where: string, v: unknown): FindingKind {
  if (typeof v !== 'string' || !KINDS.includes(v as FindingKind))
    fail(src, where, `unknown finding kind ${JSON.stringify(v)} (known: ${KINDS.join(', ')})`);
  return v as FindingKind;
}

function actionOf(src: string, where: string, v: unknown): Action {
  if (typeof v !== 'string' || !ACTIONS.includes(v as Action))
    fail(src, where, `must be one of ${ACTIONS.join(', ')} (got ${JSON.stringify(v)})`);
  return v as Action;
}

/** Validates a parsed policy document; every error names the file and the field. */
export function parsePolicy(doc: unknown, src: string): ImagePolicy {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    fail(src, 'top level', 'must be a mapping');
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d))
    if (!['version', 'profile', 'kinds', 'paths', 'waivers', 'require_signature'].includes(k))
      fail(src, k, 'unknown key (version, profile, kinds, paths, waivers, require_signature)');
  if (d.version !== 1) fail(src, 'version', 'must be 1');
  const policy: ImagePolicy = {
    kinds: {},
    paths: [],
    waivers: [],
    requireSignature: 'none',
    profile: 'baseline',
    source: src,
  };
  if (d.profile !== undefined) {
    if (!IMAGE_PROFILES.includes(d.profile as ImageProfile))
      fail(src, 'profile', `must be ${IMAGE_PROFILES.join(' or ')} (got ${JSON.stringify(d.profile)})`);
    policy.profile = d.profile as ImageProfile;
  }
  if (d.require_signature !== undefined) {
    if (!REQUIRE_SIGNATURE.includes(d.require_signature as RequireSignature))
      fail(
        src,
        'require_signature',
        `must be ${REQUIRE_SIGNATURE.join(', ')} (got ${JSON.stringify(d.require_signature)})`,
      );
    policy.requireSignature = d.require_signature as RequireSignature;
  }
  if (d.kinds !== undefined) {
    if (typeof d.kinds !== 'object' || d.kinds === null || Array.isArray(d.kinds))
      fail(src, 'kinds', 'must be a mapping of finding kind to deny/warn/allow');
    for (const [k, v] of Object.entries(d.kinds))
      policy.kinds[kindOf(src, `kinds.${k}`, k)] = actionOf(src, `kinds.${k}`, v);
  }
  if (d.paths !== undefined) {
    if (!Array.isArray(d.paths) || d.paths.length > 10000)
      fail(src, 'paths', 'must be a list of at most 10000 entries');
    d.paths.forEach((p: unknown, i: number) => {
      if (typeof p !== 'object' || p === null) fail(src, `paths[${i}]`, 'must be a mapping');
      const e = p as Record<string, unknown>;
      if (typeof e.path !== 'string' || !e.path.startsWith('/'))
        fail(src, `paths[${i}].path`, 'must be an absolute path or glob inside the image');
      policy.paths.push({
        path: e.path,
        ...(e.kind !== undefined ? { kind: kindOf(src, `paths[${i}].kind`, e.kind) } : {}),
        action: actionOf(src, `paths[${i}].action`, e.action),
        matcher: globToRegExp(e.path),
      });
    });
  }
  if (d.waivers !== undefined) {
    if (!Array.isArray(d.waivers) || d.waivers.length > 10000)
      fail(src, 'waivers', 'must be a list of at most 10000 entries');
    d.waivers.forEach((w: unknown, i: number) => {
      if (typeof w !== 'object' || w === null) fail(src, `waivers[${i}]`, 'must be a mapping');
      const e = w as Record<string, unknown>;
      const kind = kindOf(src, `waivers[${i}].kind`, e.kind);
      const { reason, expires } = waiverReasonAndExpiry(src, `waivers[${i}]`, e);
      if (e.path !== undefined && (typeof e.path !== 'string' || !e.path.startsWith('/')))
        fail(src, `waivers[${i}].path`, 'must be an absolute path or glob');
      policy.waivers.push({
        kind,
        ...(typeof e.path === 'string' ? { path: e.path } : {}),
        reason,
        expires,
        matcher: typeof e.path === 'string' ? globToRegExp(e.path) : null,
      });
    });
  }
  return policy;
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
