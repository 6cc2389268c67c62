// The site's gate policy (YAML or JSON): runtimes that must run, severities not tolerated, waivers with expiry.
import { InputError } from '../errors.js';
import { REQUIRE_SIGNATURE, type RequireSignature } from '../image/signature-findings.js';
import { readPolicyDocument, waiverReasonAndExpiry } from '../policy-document.js';
import { RUNTIME_IDS, type RuntimeId } from '../runtimes/locations.js';
import { SEVERITIES, type Severity } from '../rules/rule.js';

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

const KEYS = [
  'version',
  'require_ready',
  'fail_on',
  'vulnerabilities',
  'unknown_ready',
  'on_error',
  'timeout_seconds',
  'image_policy',
  'require_signature',
  'keyring',
  'waivers',
];
const MAX_POLICY_BYTES = 256 * 1024;

function fail(src: string, where: string, msg: string): never {
  throw new InputError(`${src}: ${where}: ${msg}`);
}

function severity(src: string, where: string, v: unknown): Severity {
  if (typeof v !== 'string' || !SEVERITIES.includes(v as Severity))
    fail(src, where, `must be one of ${SEVERITIES.join(', ')} (got ${JSON.stringify(v)})`);
  return v as Severity;
}

function choice<T extends string>(src: string, where: string, v: unknown, options: T[], d: T): T {
  if (v === undefined) return d;
  if (typeof v !== 'string' || !options.includes(v as T))
    fail(src, where, `must be ${options.join(' or ')} (got ${JSON.stringify(v)})`);
  return v as T;
}

/** Validates a parsed policy document; every error names the file and the field. */
export function parseGatePolicy(doc: unknown, src: string): GatePolicy {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    fail(src, 'top level', 'must be a mapping');
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d)) if (!KEYS.includes(k)) fail(src, k, `unknown key (${KEYS.join(', ')})`);
  if (d.version !== 1) fail(src, 'version', 'must be 1');
  const p: GatePolicy = { ...DEFAULT_GATE_POLICY, waivers: [], source: src };
  if (d.require_ready !== undefined) {
    if (!Array.isArray(d.require_ready)) fail(src, 'require_ready', 'must be a list of runtime ids');
    p.requireReady = d.require_ready.map((r: unknown, i: number) => {
      if (!(RUNTIME_IDS as readonly unknown[]).includes(r))
        fail(
          src,
          `require_ready[${i}]`,
          `unknown runtime ${JSON.stringify(r)} (known: ${RUNTIME_IDS.join(', ')})`,
        );
      return r as RuntimeId;
    });
  }
  if (d.fail_on !== undefined) p.failOn = severity(src, 'fail_on', d.fail_on);
  if (d.vulnerabilities !== undefined)
    p.vulnerabilities =
      d.vulnerabilities === 'none' ? null : severity(src, 'vulnerabilities', d.vulnerabilities);
  p.unknownReady = choice(src, 'unknown_ready', d.unknown_ready, ['fail', 'pass'], 'fail');
  p.onError = choice(src, 'on_error', d.on_error, ['pass', 'fail'], 'pass');
  if (d.timeout_seconds !== undefined) {
    const t = d.timeout_seconds;
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > 600)
      fail(src, 'timeout_seconds', 'must be a whole number of seconds from 1 to 600');
    p.timeoutSeconds = t;
  }
  if (d.image_policy !== undefined) {
    if (typeof d.image_policy !== 'string' || !d.image_policy.startsWith('/'))
      fail(src, 'image_policy', 'must be an absolute path');
    p.imagePolicy = d.image_policy;
  }
  p.requireSignature = choice(src, 'require_signature', d.require_signature, REQUIRE_SIGNATURE, 'none');
  if (d.keyring !== undefined) {
    const list = typeof d.keyring === 'string' ? [d.keyring] : d.keyring;
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      list.length > 64 ||
      !list.every((k) => typeof k === 'string' && k.startsWith('/'))
    )
      fail(src, 'keyring', 'must be an absolute path or a list of absolute paths (key files or directories)');
    p.keyring = list as string[];
  }
  if (d.waivers !== undefined) {
    if (!Array.isArray(d.waivers) || d.waivers.length > 1000)
      fail(src, 'waivers', 'must be a list of at most 1000 entries');
    d.waivers.forEach((w: unknown, i: number) => {
      if (typeof w !== 'object' || w === null) fail(src, `waivers[${i}]`, 'must be a mapping');
      const e = w as Record<string, unknown>;
      if (typeof e.id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._:-]{1,63}$/.test(e.id))
        fail(src, `waivers[${i}].id`, 'must be a rule or vulnerability id');
      const { reason, expires } = waiverReasonAndExpiry(src, `waivers[${i}]`, e);
      p.waivers.push({ id: e.id, reason, expires });
    });
  }
  return p;
}

export function loadGatePolicy(file: string): GatePolicy {
  return parseGatePolicy(readPolicyDocument(file, MAX_POLICY_BYTES), file);
}
