// Checks a report that arrived from a node (untrusted): shape, bounds, enums; one-line reasons, never a throw.
import { RUNTIME_IDS } from '../runtimes/locations.js';

const READY = ['yes', 'no', 'unknown'];
const RISK = ['none', 'low', 'medium', 'high', 'critical', 'unknown'];
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

export interface NodeReport {
  report_id: string;
  generated_at: string;
  host: {
    hostname: string;
    kernel: { release: string | null; distro_kernel: boolean };
    os: { id: string | null; version_id: string | null };
  };
  runtimes: { id: string; ready: string; risk: string; mode?: string | null; version?: string | null }[];
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
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max;
/** The optional fields the dashboard shows: absent, null, or a bounded string. */
const optStr = (o: Record<string, unknown>, keys: string[], max: number) =>
  keys.find((k) => o[k] !== undefined && o[k] !== null && (typeof o[k] !== 'string' || o[k].length > max));

/** A node's clock may run a little ahead; a report from further in the future would freeze its state (newer wins). */
const MAX_CLOCK_SKEW_MS = 15 * 60_000;

export function validateReport(
  raw: unknown,
  now: number = Date.now(),
): { ok: true; report: NodeReport } | { ok: false; reason: string } {
  if (!isObj(raw)) return { ok: false, reason: 'not a JSON object' };
  if (raw.schema !== 'ctrsafe.report/1') return { ok: false, reason: 'schema is not "ctrsafe.report/1"' };
  if (!str(raw.report_id, 64) || !/^[A-Za-z0-9._:-]+$/.test(raw.report_id))
    return { ok: false, reason: 'report_id missing or malformed' };
  if (!str(raw.generated_at, 40) || Number.isNaN(Date.parse(raw.generated_at)))
    return { ok: false, reason: 'generated_at is not a date' };
  if (Date.parse(raw.generated_at) > now + MAX_CLOCK_SKEW_MS)
    return { ok: false, reason: `generated_at ${raw.generated_at} is in the future: check the node's clock` };
  const h = raw.host;
  if (!isObj(h) || !str(h.hostname, 253))
    return { ok: false, reason: 'host.hostname missing or longer than 253 characters' };
  if (!isObj(h.kernel) || !isObj(h.os)) return { ok: false, reason: 'host.kernel and host.os are required' };
  for (const [k, v] of [
    ['kernel.release', h.kernel.release],
    ['os.id', h.os.id],
    ['os.version_id', h.os.version_id],
  ] as const)
    if (v !== null && !str(v, 200))
      return { ok: false, reason: `host.${k} must be a string of at most 200 characters or null` };
  if (!Array.isArray(raw.runtimes) || raw.runtimes.length > 64)
    return { ok: false, reason: 'runtimes must be a list' };
  for (const r of raw.runtimes)
    if (
      !isObj(r) ||
      !(RUNTIME_IDS as string[]).includes(String(r.id)) ||
      !READY.includes(String(r.ready)) ||
      !RISK.includes(String(r.risk))
    )
      return {
        ok: false,
        reason: `runtime entry ${JSON.stringify(isObj(r) ? r.id : r).slice(0, 40)} has an unknown id, ready or risk`,
      };
    else if (optStr(r, ['mode', 'version'], 200))
      return {
        ok: false,
        reason: `runtime ${String(r.id)}: ${optStr(r, ['mode', 'version'], 200)} is too long`,
      };
  if (!Array.isArray(raw.findings) || raw.findings.length > 2000)
    return { ok: false, reason: 'findings must be a list of at most 2000' };
  for (const f of raw.findings)
    if (!isObj(f) || !str(f.id, 64) || !str(f.severity, 16) || !str(f.status, 20))
      return { ok: false, reason: 'a finding lacks id, severity or status' };
    else if (optStr(f, ['title', 'remediation', 'evidence'], 4000))
      return {
        ok: false,
        reason: `finding ${f.id}: ${optStr(f, ['title', 'remediation', 'evidence'], 4000)} is not a string of at most 4000 characters`,
      };
  const vulns = raw.vulnerabilities ?? [];
  if (!Array.isArray(vulns) || vulns.length > 20000)
    return { ok: false, reason: 'vulnerabilities must be a list of at most 20000' };
  for (const v of vulns)
    if (
      !isObj(v) ||
      !str(v.id, 100) ||
      !['affected', 'mitigated', 'unknown'].includes(String(v.status)) ||
      !str(v.severity, 16)
    )
      return { ok: false, reason: 'a vulnerability lacks id, status or severity' };
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
