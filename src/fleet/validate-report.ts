// Checks a report that arrived from a node (untrusted): bytes, shape, bounds, enums; one-line reasons, never a throw.
// The shape and the bounds of each field come from the report's schema (src/schema/node-report.ts); this adds the
// walk that bounds what no declaration names, the clock and the host name.
import { isUtf8 } from 'node:buffer';
import { documentProblem } from '../schema/check-document.js';
import { LIMITS } from '../schema/host-report.js';
import { NodeReport } from '../schema/node-report.js';
import { hostnameProblem } from './hostname.js';

export type { NodeReport };

export const MAX_REPORT_BYTES = LIMITS.bytes;

/**
 * What one report may hold. A real report (ctrsafe check --format json) is 100-150 KB with about 30 findings, 30
 * vulnerabilities, 8 runtimes, 80 facts and depth 5; these bounds leave room for growth, while a report at every
 * bound still costs the server milliseconds, not seconds.
 */
export const REPORT_LIMITS = {
  bytes: MAX_REPORT_BYTES,
  runtimes: LIMITS.runtimes,
  findings: LIMITS.findings,
  vulnerabilities: LIMITS.vulnerabilities,
  facts: LIMITS.facts,
  /** Any other list. */
  list: LIMITS.list,
  /** Keys of one object. */
  keys: 1_000,
  depth: 16,
  /** Any string without a bound of its own (evidence, reasons, references). */
  string: 65_536,
} as const;

type Verdict = { ok: true; report: NodeReport } | { ok: false; reason: string };

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= max;
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
  // The name first: it is the node's identity, and the one rule for it is the fleet's (fleet/hostname.ts).
  if (!isObj(raw.host)) return { ok: false, reason: 'host is missing' };
  const bad = hostnameProblem(raw.host.hostname);
  if (bad) return { ok: false, reason: `host.hostname: ${bad}` };
  const shape = documentProblem(NodeReport, raw);
  if (shape) return { ok: false, reason: shape };
  const report = raw as unknown as NodeReport;
  return { ok: true, report: { ...report, vulnerabilities: report.vulnerabilities ?? [] } };
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
