// An advisory record: the OSV 1.6 fields ctrsafe reads plus database_specific.ctrsafe (docs/advisory-format.md).
// The record's parts are declared once, in src/schema/advisory-record.ts (type-only here: a check loads no schema
// library; the declaration and this reader are held to agree by test/schema/advisory.test.ts).
import type {
  AdvisoryRecord,
  Affected as RecordAffected,
  AffectedRange,
  ConfigPrecondition,
  CtrsafeJudgement,
  KnownExploited,
  NvidiaPath,
  Preconditions,
} from '../schema/advisory-record.js';

export type { AdvisoryRecord, AffectedRange, ConfigPrecondition, KnownExploited, NvidiaPath };
/** An affected entry as ctrsafe holds it: OSV lets a record list versions only; ranges are then an empty list. */
export type Affected = Omit<RecordAffected, 'ranges'> & { ranges: AffectedRange[] };
export type { RangeEvent } from '../schema/advisory-record.js';

const NVIDIA_PATHS = ['nvidia-container-cli', 'cdi-hooks', 'runtime-hooks'];

/** A record as ctrsafe holds it: database_specific.ctrsafe lifted out, the optional lists present. */
export type Advisory = Pick<
  AdvisoryRecord,
  'id' | 'summary' | 'details' | 'published' | 'modified' | 'severity'
> & {
  aliases: string[];
  affected: Affected[];
  references: { type: string; url: string }[];
  ctrsafe: Omit<CtrsafeJudgement, 'preconditions' | 'unconfirmed'> & {
    preconditions: Preconditions;
    unconfirmed: string[];
    /**
     * Set by `ctrsafe db update` on records it imported: such a record was never reviewed. Never read from a record
     * itself (an import's own database_specific.ctrsafe is ignored); the store keeps it beside the record.
     */
    imported?: { from: string; at: string };
  };
};

const SEVERITY = ['low', 'medium', 'high', 'critical'];
const MAX_STR = 4000;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const str = (v: unknown, max = MAX_STR): v is string => typeof v === 'string' && v.length <= max;
/** YYYY-MM-DD naming a real day (2024-02-30 is refused). */
export function isCalendarDate(v: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const t = Date.parse(`${v}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === v;
}
const strList = (v: unknown, maxItems = 200): v is string[] =>
  Array.isArray(v) && v.length <= maxItems && v.every((x) => str(x));

/** Validates one parsed OSV record; a one-line reason instead of a throw. */
export function parseAdvisory(
  raw: unknown,
): { ok: true; advisory: Advisory } | { ok: false; reason: string } {
  if (!isRecord(raw)) return { ok: false, reason: 'not a JSON object' };
  if (!str(raw.id, 100) || !/^[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(raw.id))
    return { ok: false, reason: 'missing or malformed "id"' };
  const aliases = raw.aliases ?? [];
  if (!strList(aliases)) return { ok: false, reason: '"aliases" is not a list of strings' };
  if (!str(raw.summary)) return { ok: false, reason: 'missing "summary"' };
  if (!Array.isArray(raw.affected) || raw.affected.length === 0 || raw.affected.length > 500)
    return { ok: false, reason: '"affected" must list 1 to 500 entries' };
  const affected: Affected[] = [];
  for (const [i, a] of raw.affected.entries()) {
    if (!isRecord(a) || !isRecord(a.package) || !str(a.package.ecosystem, 200) || !str(a.package.name, 300))
      return { ok: false, reason: `affected[${i}].package needs ecosystem and name` };
    const ranges = a.ranges ?? [];
    if (!Array.isArray(ranges) || ranges.length > 100)
      return { ok: false, reason: `affected[${i}].ranges is not a list` };
    for (const [k, r] of ranges.entries()) {
      if (
        !isRecord(r) ||
        !['SEMVER', 'ECOSYSTEM', 'GIT'].includes(String(r.type)) ||
        !Array.isArray(r.events) ||
        r.events.length === 0 ||
        r.events.length > 100
      )
        return { ok: false, reason: `affected[${i}].ranges[${k}] needs a type and events` };
      for (const e of r.events) {
        if (
          !isRecord(e) ||
          Object.keys(e).length !== 1 ||
          !['introduced', 'fixed', 'last_affected', 'limit'].includes(Object.keys(e)[0]!) ||
          !str(Object.values(e)[0], 200)
        )
          return { ok: false, reason: `affected[${i}].ranges[${k}] has a malformed event` };
      }
    }
    if (a.versions !== undefined && !strList(a.versions, 5000))
      return { ok: false, reason: `affected[${i}].versions is not a list of strings` };
    affected.push({ ...(a as unknown as RecordAffected), ranges: ranges as AffectedRange[] });
  }
  const refs = raw.references ?? [];
  if (!Array.isArray(refs) || refs.length > 200 || !refs.every((r) => isRecord(r) && str(r.url, 2000)))
    return { ok: false, reason: '"references" is malformed' };
  const db =
    isRecord(raw.database_specific) && isRecord(raw.database_specific.ctrsafe)
      ? raw.database_specific.ctrsafe
      : null;
  if (!db) return { ok: false, reason: 'missing database_specific.ctrsafe' };
  if (!SEVERITY.includes(String(db.severity)))
    return { ok: false, reason: `database_specific.ctrsafe.severity must be one of ${SEVERITY.join(', ')}` };
  const pre = isRecord(db.preconditions) ? db.preconditions : {};
  const config: ConfigPrecondition[] = [];
  if (pre.config !== undefined) {
    if (!Array.isArray(pre.config) || pre.config.length > 20)
      return { ok: false, reason: 'preconditions.config is not a list' };
    for (const c of pre.config) {
      if (
        !isRecord(c) ||
        !str(c.target, 100) ||
        !str(c.key, 200) ||
        !strList(c.in, 50) ||
        (c.default !== undefined && !str(c.default, 200))
      )
        return { ok: false, reason: 'preconditions.config entries need target, key and in' };
      config.push({
        target: c.target,
        key: c.key,
        in: c.in,
        ...(c.default !== undefined ? { default: c.default as string } : {}),
      });
    }
  }
  const nvidiaPaths: NvidiaPath[] = [];
  if (pre.nvidia_paths !== undefined) {
    if (!Array.isArray(pre.nvidia_paths) || pre.nvidia_paths.length > 3)
      return { ok: false, reason: 'preconditions.nvidia_paths is not a list of at most 3' };
    for (const n of pre.nvidia_paths) {
      if (
        !isRecord(n) ||
        typeof n.path !== 'string' ||
        !NVIDIA_PATHS.includes(n.path) ||
        (n.introduced !== undefined && !str(n.introduced, 40))
      )
        return {
          ok: false,
          reason: `preconditions.nvidia_paths entries need path (${NVIDIA_PATHS.join(', ')})`,
        };
      nvidiaPaths.push({
        path: n.path as NvidiaPath['path'],
        ...(n.introduced !== undefined ? { introduced: n.introduced as string } : {}),
      });
    }
  }
  if (!strList(db.confirmed_from ?? []) || (db.confirmed_from as string[]).length === 0)
    return { ok: false, reason: 'database_specific.ctrsafe.confirmed_from must cite at least one source' };
  const ke = db.known_exploited;
  if (
    ke !== undefined &&
    !(
      isRecord(ke) &&
      ke.catalog === 'CISA KEV' &&
      typeof ke.date_added === 'string' &&
      isCalendarDate(ke.date_added)
    )
  )
    return {
      ok: false,
      reason:
        'database_specific.ctrsafe.known_exploited must be { "catalog": "CISA KEV", "date_added": "YYYY-MM-DD" }',
    };
  const advisory: Advisory = {
    id: raw.id,
    aliases,
    summary: raw.summary,
    affected,
    references: refs as Advisory['references'],
    ctrsafe: {
      severity: db.severity as Advisory['ctrsafe']['severity'],
      preconditions: {
        ...(typeof pre.setuid_mode === 'boolean' ? { setuid_mode: pre.setuid_mode } : {}),
        ...(typeof pre.unprivileged_userns === 'boolean'
          ? { unprivileged_userns: pre.unprivileged_userns }
          : {}),
        ...(config.length ? { config } : {}),
        ...(nvidiaPaths.length ? { nvidia_paths: nvidiaPaths } : {}),
      },
      confirmed_from: db.confirmed_from as string[],
      unconfirmed: strList(db.unconfirmed ?? []) ? ((db.unconfirmed as string[] | undefined) ?? []) : [],
      ...(isRecord(ke)
        ? { known_exploited: { catalog: 'CISA KEV', date_added: ke.date_added as string } }
        : {}),
    },
  };
  if (str(raw.details)) advisory.details = raw.details;
  if (str(raw.published, 40)) advisory.published = raw.published;
  if (str(raw.modified, 40)) advisory.modified = raw.modified;
  if (Array.isArray(raw.severity))
    advisory.severity = (raw.severity as unknown[]).filter(
      (s): s is { type: string; score: string } => isRecord(s) && str(s.type, 40) && str(s.score, 200),
    );
  return { ok: true, advisory };
}
