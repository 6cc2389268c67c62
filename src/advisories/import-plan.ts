// What one `db update --from` would change, decided before anything is written: imported advisories (never reviewed),
// distribution rows for the reviewed records' CVEs, and every shipped record or row the import would replace.
import { createHash } from 'node:crypto';
import { toOsv } from './advisory-store.js';
import type { Advisory } from './advisory.js';
import type { DistroFix, DistroFixSource } from './distro-fix.js';
import { importOsvRecord } from './osv-import.js';
import type { InputItem } from './read-import-input.js';
import { distroFixesFromCsaf } from './sources/csaf-advisory.js';
import { distroFixesFromDebianTracker, isDebianTrackerJson } from './sources/debian-tracker.js';
import { osvCves } from './sources/ecosystems.js';
import { minimizeFixes } from './sources/merge-fixes.js';
import { distroFixesFromOsv } from './sources/osv-distro.js';

/** Who publishes what an import brings, per source id (docs/advisory-format.md, "Distribution fix data"). */
const SOURCES: Record<string, { publisher: string; license: string }> = {
  'almalinux-osv': { publisher: 'AlmaLinux OS Foundation (errata in OSV form)', license: 'MIT' },
  'rocky-osv': {
    publisher: 'Rocky Enterprise Software Foundation (errata in OSV form)',
    license: 'none stated',
  },
  'rocky-csaf': {
    publisher: 'Rocky Enterprise Software Foundation (errata as CSAF 2.0)',
    license: 'none stated',
  },
  'redhat-osv': { publisher: 'Red Hat Product Security (OSV)', license: 'CC-BY-4.0' },
  'redhat-csaf': { publisher: 'Red Hat Product Security (CSAF advisories)', license: 'CC-BY-4.0' },
  'debian-osv': { publisher: 'Debian Security Team (OSV)', license: 'as published by Debian' },
  'debian-tracker': {
    publisher: 'Debian Security Team (security tracker JSON)',
    license: 'as published by Debian',
  },
  'ubuntu-osv': { publisher: 'Canonical Ubuntu Security Team (OSV)', license: 'CC-BY-SA-4.0' },
  'suse-osv': { publisher: 'SUSE (OSV)', license: 'CC-BY-4.0' },
};

const FAMILY: [RegExp, string][] = [
  [/^AlmaLinux:/, 'almalinux'],
  [/^Rocky Linux:/, 'rocky'],
  [/^Red Hat:/, 'redhat'],
  [/^Debian:/, 'debian'],
  [/^Ubuntu:/, 'ubuntu'],
  [/^SUSE:/, 'suse'],
];

function sourceIdOf(ecosystem: string, format: 'osv' | 'csaf'): string {
  const fam = FAMILY.find(([re]) => re.test(ecosystem))?.[1] ?? 'other';
  return `${fam}-${format}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const keyOf = (f: DistroFix) => `${f.cve}\0${f.ecosystem}\0${f.package}`;
const verdictOf = (rows: DistroFix[]) =>
  rows
    .map((f) => (f.fixed ? `${f.status} ${f.fixed}` : f.status))
    .sort()
    .join(' | ');

export interface ImportContext {
  shipped: readonly Advisory[];
  shippedDistro: readonly DistroFixSource[];
  /** What earlier imports left in the store. */
  stored: { advisories: readonly Advisory[]; distro: readonly DistroFixSource[] };
  from: string;
  now: Date;
}

export interface ImportPlan {
  /** The store's advisories after the import. */
  advisories: Advisory[];
  /** The store's distribution sources after the import. */
  distro: DistroFixSource[];
  /** Records the import adds, never reviewed: listed for the operator. */
  added: Advisory[];
  updated: number;
  unchanged: number;
  skipped: number;
  /** Records whose CVE a shipped reviewed record describes: not imported as advisories. */
  covered: string[];
  /** Shipped records with the same id as an imported one. */
  replacesShipped: string[];
  /** Shipped distribution rows the import gives another verdict: "CVE ecosystem package: shipped → imported". */
  changesShippedRows: string[];
  distroRows: Record<string, number>;
  errors: string[];
  records: number;
}

/**
 * Reads every item first and decides; the caller writes only when the plan has no errors and, where it replaces
 * shipped data, the operator said so. Distribution rows are kept only for CVEs a shipped reviewed record describes:
 * the vendor's verdict on ctrsafe's own advisories (other CVEs come in as unreviewed advisories with their ranges).
 */
export async function planImport(items: AsyncIterable<InputItem>, ctx: ImportContext): Promise<ImportPlan> {
  const shippedById = new Map(ctx.shipped.map((a) => [a.id, a]));
  const shippedCve = new Map<string, string>();
  for (const a of ctx.shipped)
    for (const c of [a.id, ...a.aliases]) if (/^CVE-/.test(c)) shippedCve.set(c, a.id);
  const keep = (cve: string) => shippedCve.has(cve);
  const label = `imported from ${ctx.from}`;
  const at = ctx.now.toISOString();
  const errors: string[] = [];
  const imported = new Map<string, Advisory>();
  const covered = new Set<string>();
  const replaces = new Set<string>();
  const rows = new Map<string, DistroFix[]>();
  const digest = createHash('sha256');
  let skipped = 0;
  let records = 0;
  const addRows = (id: string, list: DistroFix[]) => {
    if (list.length === 0) return;
    const cur = rows.get(id);
    if (cur) cur.push(...list);
    else rows.set(id, [...list]);
  };
  for await (const item of items) {
    if ('error' in item) {
      errors.push(`${item.where}: ${item.error}`);
      continue;
    }
    records++;
    digest.update(item.where);
    const v = item.value;
    if (isDebianTrackerJson(v)) {
      addRows('debian-tracker', distroFixesFromDebianTracker(v, keep));
      continue;
    }
    if (isRecord(v) && isRecord(v.document) && typeof v.document.csaf_version === 'string') {
      const tracking = isRecord(v.document.tracking) ? v.document.tracking : {};
      const when = String(tracking.current_release_date ?? tracking.initial_release_date ?? '');
      if (Date.parse(when) > ctx.now.getTime() + 24 * 3600 * 1000) {
        errors.push(`${item.where}: dated ${when.slice(0, 40)}, in the future`);
        continue;
      }
      for (const f of distroFixesFromCsaf(v, keep)) addRows(sourceIdOf(f.ecosystem, 'csaf'), [f]);
      continue;
    }
    const res = importOsvRecord(v, label, ctx.now);
    if (res.kind === 'invalid') {
      errors.push(`${item.where}: ${res.id}: ${res.reason}`);
      continue;
    }
    for (const f of distroFixesFromOsv(v, keep)) addRows(sourceIdOf(f.ecosystem, 'osv'), [f]);
    if (res.kind === 'skipped') {
      skipped++;
      continue;
    }
    const a = res.advisory;
    if (shippedById.has(a.id)) replaces.add(a.id);
    else {
      const cves = osvCves(v as Record<string, unknown>);
      const reviewed = cves.map((c) => shippedCve.get(c)).find((x) => x !== undefined);
      if (reviewed) {
        covered.add(`${a.id} (${reviewed})`);
        continue;
      }
    }
    a.ctrsafe.imported = { from: ctx.from, at };
    imported.set(a.id, a);
  }
  // Advisories: earlier imports overlaid by this one; same-id shipped records only count as replaced.
  const before = new Map(ctx.stored.advisories.map((a) => [a.id, a]));
  const added: Advisory[] = [];
  let updated = 0;
  let unchanged = 0;
  // As the store writes them, keys sorted, without the import note: what a later import would change.
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  const comparable = (a: Advisory) => {
    const o = toOsv({ ...a, ctrsafe: { ...a.ctrsafe, imported: { from: '', at: '' } } });
    return JSON.stringify(canonical(o));
  };
  for (const a of imported.values()) {
    const old = before.get(a.id);
    if (!old) added.push(a);
    else if (comparable(old) !== comparable(a)) updated++;
    else {
      unchanged++;
      a.ctrsafe.imported = old.ctrsafe.imported ?? a.ctrsafe.imported;
    }
    before.set(a.id, a);
  }
  // Distribution rows: each imported source overlays its own earlier import; rows that change a shipped verdict are
  // listed (and need --replace-shipped), equal ones are dropped as redundant.
  // Shipped verdicts per key, per source: an imported verdict equal to one of them is redundant; one that differs
  // from all of them changes shipped data.
  const shippedRows = new Map<string, Map<string, DistroFix[]>>();
  for (const s of ctx.shippedDistro)
    for (const f of s.fixes) {
      const bySource = shippedRows.get(keyOf(f)) ?? new Map<string, DistroFix[]>();
      bySource.set(s.id, [...(bySource.get(s.id) ?? []), f]);
      shippedRows.set(keyOf(f), bySource);
    }
  const changes: string[] = [];
  const distro = new Map(ctx.stored.distro.map((s) => [s.id, s]));
  const counts: Record<string, number> = {};
  const revision = `sha256:${digest.digest('hex')}`;
  for (const [id, list] of [...rows].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const fixes = minimizeFixes(list);
    const byKey = new Map<string, DistroFix[]>();
    for (const f of fixes) byKey.set(keyOf(f), [...(byKey.get(keyOf(f)) ?? []), f]);
    const kept: DistroFix[] = [];
    for (const [k, fs] of byKey) {
      const shipped = shippedRows.get(k);
      const verdicts = shipped ? [...shipped].map(([src, rows]) => [src, verdictOf(rows)] as const) : [];
      if (verdicts.some(([, v]) => v === verdictOf(fs))) continue;
      if (verdicts.length)
        changes.push(
          `${k.split('\0').join(' ')}: ${verdicts.map(([src, v]) => `${v} (${src})`).join('; ')} → ${verdictOf(fs)} (${id})`,
        );
      kept.push(...fs);
    }
    counts[id] = kept.length;
    const dates = list
      .map((f) => f.date)
      .filter((d): d is string => !!d && Date.parse(d) <= ctx.now.getTime());
    const meta = SOURCES[id] ?? { publisher: 'unknown publisher', license: 'unknown' };
    distro.set(id, {
      schema: 'ctrsafe.distro-fixes/1',
      id,
      publisher: meta.publisher,
      repository: `imported from ${ctx.from}`.slice(0, 300),
      revision,
      date: dates.sort().at(-1) ?? at.slice(0, 10),
      license: meta.license,
      fixes: kept,
    });
  }
  return {
    advisories: [...before.values()],
    distro: [...distro.values()],
    added,
    updated,
    unchanged,
    skipped,
    covered: [...covered].sort(),
    replacesShipped: [...replaces].sort(),
    changesShippedRows: changes.sort(),
    distroRows: counts,
    errors,
    records,
  };
}
