// Checks a report that arrived from a node (untrusted): bytes, shape, bounds, enums; one-line reasons, never a throw.
import { isUtf8 } from 'node:buffer';
import { RUNTIME_IDS } from '../runtimes/locations.js';
import { hostnameProblem } from './hostname.js';

const READY = ['yes', 'no', 'unknown'];
const RISK = ['none', 'low', 'medium', 'high', 'critical', 'unknown'];
const SEVERITY = ['critical', 'high', 'medium', 'low', 'info', 'none', 'unknown'];
/** "fixed" and "not-affected" appear in reports made with --all; the store keeps the first three only. */
const VULN_STATUS = ['affected', 'mitigated', 'unknown', 'fixed', 'not-affected'];
/** Strings a vulnerability verdict may carry: what it is about and what decided it (issue 12's evidence). */
const VULN_TEXT = [
  'summary',
  'target',
  'package',
  'installed_version',
  'fixed_version',
  'advisory',
  'decided_by',
  'source_date',
];
export const MAX_REPORT_BYTES = 16 * 1024 * 1024;

/**
 * What one report may hold. A real report (ctrsafe check --format json) is 100-150 KB with about 30 findings, 30
 * vulnerabilities, 8 runtimes, 80 facts and depth 5; these bounds leave room for growth, while a report at every
 * bound still costs the server milliseconds, not seconds.
 */
export const REPORT_LIMITS = {
  bytes: MAX_REPORT_BYTES,
  runtimes: 64,
  findings: 2_000,
  vulnerabilities: 10_000,
  facts: 5_000,
  /** Any other list. */
  list: 10_000,
  /** Keys of one object. */
  keys: 1_000,
  depth: 16,
  /** Any string without a bound of its own (evidence, reasons, references). */
  string: 65_536,
} as const;

export interface NodeReport {
  report_id: string;
  generated_at: string;
  host: {
    hostname: string;
    kernel: { release: string | null; distro_kernel: boolean };
    os: { id: string | null; version_id: string | null };
  };
  runtimes: {
    id: string;
    ready: string;
    risk: string;
    installed?: boolean | null;
    mode?: string | null;
    version?: string | null;
    /** Why, in the node's words (only the first one is kept by the fleet, bounded). */
    reasons?: unknown;
  }[];
  findings: {
    id: string;
    severity: string;
    status: string;
    title?: string;
    remediation?: string;
    evidence?: string;
  }[];
  vulnerabilities: {
    id: string;
    status: string;
    severity: string;
    summary?: string;
    target?: string;
    package?: string | null;
    installed_version?: string | null;
    fixed_version?: string | null;
    /** The distribution advisory (RHSA/ALSA/...) whose fixed version this is. */
    advisory?: string | null;
    /** CISA KEV listing, when the record carries it: known-exploited vulnerabilities lead the plan. */
    known_exploited?: { catalog?: string; date_added?: string } | null;
  }[];
  /** The collected facts (id, value, how, evidence); the fleet reads slurm.partitions of them. */
  facts?: unknown;
}

type Verdict = { ok: true; report: NodeReport } | { ok: false; reason: string };

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max;
/** Identifiers that become keys, CSV cells and metric labels: printable ASCII without spaces or quotes. */
const ID = /^[A-Za-z0-9][A-Za-z0-9._:+/-]*$/;
const isId = (v: unknown, max: number): v is string => str(v, max) && ID.test(v);
/** The optional fields the dashboard shows: absent, null, or a bounded string. */
const optStr = (o: Record<string, unknown>, keys: string[], max: number) =>
  keys.find((k) => o[k] !== undefined && o[k] !== null && (typeof o[k] !== 'string' || o[k].length > max));
const quote = (v: unknown) => JSON.stringify(v)?.slice(0, 40) ?? String(v);

/** A node's clock may run a little ahead; a report from further in the future is refused (see the store's ordering). */
export const MAX_CLOCK_SKEW_MS = 15 * 60_000;

const LIST_LIMITS: Record<string, number> = {
  runtimes: REPORT_LIMITS.runtimes,
  findings: REPORT_LIMITS.findings,
  vulnerabilities: REPORT_LIMITS.vulnerabilities,
  facts: REPORT_LIMITS.facts,
};

/**
 * Bounds every value of the document, known fields or not (reports grow new optional fields): depth, list lengths,
 * keys per object, string lengths; and no string or key PostgreSQL cannot store (U+0000) or UTF-8 cannot encode
 * (a lone surrogate, from a "\ud800" escape), so both stores accept exactly the same reports.
 */
function boundsProblem(root: unknown): string | null {
  const stack: [unknown, string, number][] = [[root, '', 0]];
  const badText = (s: string) =>
    s.includes('\u0000')
      ? 'holds a NUL character'
      : !(s as unknown as { isWellFormed(): boolean }).isWellFormed()
        ? 'holds a lone UTF-16 surrogate'
        : null;
  while (stack.length) {
    const [v, at, depth] = stack.pop()!;
    const where = at || 'the report';
    if (typeof v === 'string') {
      if (v.length > REPORT_LIMITS.string)
        return `${where}: a string of ${v.length} characters, at most ${REPORT_LIMITS.string}`;
      const bad = badText(v);
      if (bad) return `${where} ${bad}`;
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= REPORT_LIMITS.depth) return `${where}: nested deeper than ${REPORT_LIMITS.depth} levels`;
    if (Array.isArray(v)) {
      const max = (depth === 1 && LIST_LIMITS[at]) || REPORT_LIMITS.list;
      if (v.length > max) return `${where}: ${v.length} entries, at most ${max}`;
      for (let i = 0; i < v.length; i++) stack.push([v[i], `${at}[${i}]`, depth + 1]);
      continue;
    }
    const keys = Object.keys(v);
    if (keys.length > REPORT_LIMITS.keys)
      return `${where}: ${keys.length} keys, at most ${REPORT_LIMITS.keys}`;
    for (const k of keys) {
      const bad = k.length > 200 ? 'is longer than 200 characters' : badText(k);
      if (bad) return `${where}: a key ${bad}`;
      stack.push([(v as Record<string, unknown>)[k], at ? `${at}.${k}` : k, depth + 1]);
    }
  }
  return null;
}

export function validateReport(raw: unknown, now: number = Date.now()): Verdict {
  if (!isObj(raw)) return { ok: false, reason: 'not a JSON object' };
  if (raw.schema !== 'ctrsafe.report/1') return { ok: false, reason: 'schema is not "ctrsafe.report/1"' };
  const bounds = boundsProblem(raw);
  if (bounds) return { ok: false, reason: bounds };
  if (!str(raw.report_id, 64) || !/^[A-Za-z0-9._:-]+$/.test(raw.report_id))
    return { ok: false, reason: 'report_id missing or malformed' };
  if (!str(raw.generated_at, 40) || Number.isNaN(Date.parse(raw.generated_at)))
    return { ok: false, reason: 'generated_at is not a date' };
  if (Date.parse(raw.generated_at) > now + MAX_CLOCK_SKEW_MS)
    return { ok: false, reason: `generated_at ${raw.generated_at} is in the future: check the node's clock` };
  const h = raw.host;
  if (!isObj(h)) return { ok: false, reason: 'host is missing' };
  const bad = hostnameProblem(h.hostname);
  if (bad) return { ok: false, reason: `host.hostname: ${bad}` };
  if (!isObj(h.kernel) || !isObj(h.os)) return { ok: false, reason: 'host.kernel and host.os are required' };
  for (const [k, v] of [
    ['kernel.release', h.kernel.release],
    ['os.id', h.os.id],
    ['os.version_id', h.os.version_id],
  ] as const)
    if (v !== null && !str(v, 200))
      return { ok: false, reason: `host.${k} must be a string of at most 200 characters or null` };
  if (!Array.isArray(raw.runtimes)) return { ok: false, reason: 'runtimes must be a list' };
  for (const r of raw.runtimes)
    if (
      !isObj(r) ||
      !(RUNTIME_IDS as string[]).includes(String(r.id)) ||
      !READY.includes(String(r.ready)) ||
      !RISK.includes(String(r.risk)) ||
      (r.installed !== undefined && r.installed !== null && typeof r.installed !== 'boolean')
    )
      return {
        ok: false,
        reason: `runtime entry ${quote(isObj(r) ? r.id : r)} has an unknown id, ready, risk or installed`,
      };
    else if (optStr(r, ['mode', 'version'], 200))
      return {
        ok: false,
        reason: `runtime ${String(r.id)}: ${optStr(r, ['mode', 'version'], 200)} is too long`,
      };
  if (!Array.isArray(raw.findings)) return { ok: false, reason: 'findings must be a list' };
  for (const f of raw.findings)
    if (
      !isObj(f) ||
      !isId(f.id, 64) ||
      !SEVERITY.includes(String(f.severity)) ||
      !str(f.status, 20) ||
      !/^[a-z][a-z-]*$/.test(f.status)
    )
      return {
        ok: false,
        reason: `finding ${quote(isObj(f) ? f.id : f)} lacks an id, a severity or a status`,
      };
    else if (optStr(f, ['title', 'remediation', 'evidence'], 4000))
      return {
        ok: false,
        reason: `finding ${f.id}: ${optStr(f, ['title', 'remediation', 'evidence'], 4000)} is not a string of at most 4000 characters`,
      };
  const vulns = raw.vulnerabilities ?? [];
  if (!Array.isArray(vulns)) return { ok: false, reason: 'vulnerabilities must be a list' };
  for (const v of vulns)
    if (
      !isObj(v) ||
      !isId(v.id, 100) ||
      !VULN_STATUS.includes(String(v.status)) ||
      !SEVERITY.includes(String(v.severity))
    )
      return {
        ok: false,
        reason: `vulnerability ${quote(isObj(v) ? v.id : v)} lacks an id, a status or a severity`,
      };
    else if (optStr(v, VULN_TEXT, 2000))
      return {
        ok: false,
        reason: `vulnerability ${v.id}: ${optStr(v, VULN_TEXT, 2000)} is not a string of at most 2000 characters`,
      };
  return {
    ok: true,
    report: { ...(raw as unknown as NodeReport), vulnerabilities: vulns as NodeReport['vulnerabilities'] },
  };
}

/** The bytes a node sent, whole: at most MAX_REPORT_BYTES of valid UTF-8 holding one JSON report (and its text). */
export function parseReport(
  body: Buffer,
  now: number = Date.now(),
): { ok: true; report: NodeReport; text: string } | { ok: false; reason: string } {
  if (body.length > MAX_REPORT_BYTES)
    return { ok: false, reason: `${body.length} bytes, at most ${MAX_REPORT_BYTES}` };
  // Invalid UTF-8 would decode to U+FFFD, and two different byte strings to one name: refused, not repaired.
  if (!isUtf8(body)) return { ok: false, reason: 'not valid UTF-8' };
  const text = body.toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  const v = validateReport(raw, now);
  return v.ok ? { ...v, text } : v;
}
