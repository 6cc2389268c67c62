// CISA's Known Exploited Vulnerabilities catalogue (cisagov/kev-data, CC0-1.0): which CVEs are exploited in the wild.
import { isCalendarDate } from '../advisory.js';

export interface KevEntry {
  cve: string;
  /** CISA's dateAdded, YYYY-MM-DD. */
  dateAdded: string;
  vendorProject: string;
  product: string;
}

/** The extract the builder keeps in scripts/distro-data/inputs/kev.json: the catalogue's identity and the rows used. */
export interface KevExtract {
  schema: 'ctrsafe.kev-extract/1';
  repository: string;
  revision: string;
  catalogVersion: string;
  dateReleased: string;
  license: string;
  /** [cve, dateAdded, vendorProject, product], sorted by CVE. */
  entries: [string, string, string, string][];
}

const CVE = /^CVE-\d{4}-\d{4,7}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads known_exploited_vulnerabilities.json (its schema: catalogVersion, dateReleased, vulnerabilities[]). */
export function parseKevCatalog(raw: unknown): {
  catalogVersion: string;
  dateReleased: string;
  entries: KevEntry[];
} {
  if (!isRecord(raw) || !Array.isArray(raw.vulnerabilities))
    throw new Error('not a KEV catalogue (no "vulnerabilities")');
  const entries: KevEntry[] = [];
  for (const v of raw.vulnerabilities) {
    if (!isRecord(v) || typeof v.cveID !== 'string' || !CVE.test(v.cveID)) continue;
    const dateAdded = typeof v.dateAdded === 'string' ? v.dateAdded : '';
    if (!isCalendarDate(dateAdded)) throw new Error(`${v.cveID}: dateAdded "${dateAdded}" is not YYYY-MM-DD`);
    entries.push({
      cve: v.cveID,
      dateAdded,
      vendorProject: String(v.vendorProject ?? '').trim(),
      product: String(v.product ?? '').trim(),
    });
  }
  return {
    catalogVersion: String(raw.catalogVersion ?? ''),
    dateReleased: String(raw.dateReleased ?? '').slice(0, 10),
    entries,
  };
}

/** CISA files the kernel as vendorProject "Linux", product "Kernel". */
export function isLinuxKernelEntry(e: Pick<KevEntry, 'vendorProject' | 'product'>): boolean {
  return /^linux$/i.test(e.vendorProject) && /^kernel$/i.test(e.product.replace(/^linux\s+/i, ''));
}

/** Keeps the kernel's entries and those naming a CVE of `cves`: what ctrsafe's records need. */
export function kevExtract(
  catalog: ReturnType<typeof parseKevCatalog>,
  cves: ReadonlySet<string>,
  origin: { repository: string; revision: string },
): KevExtract {
  const kept = catalog.entries
    .filter((e) => isLinuxKernelEntry(e) || cves.has(e.cve))
    .map((e): [string, string, string, string] => [e.cve, e.dateAdded, e.vendorProject, e.product])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return {
    schema: 'ctrsafe.kev-extract/1',
    ...origin,
    catalogVersion: catalog.catalogVersion,
    dateReleased: catalog.dateReleased,
    license: 'CC0-1.0',
    entries: kept,
  };
}

/** The CVE ids one record names: its id and aliases. */
export function cvesOfRecord(rec: { id?: unknown; aliases?: unknown }): string[] {
  const ids: unknown[] = [rec.id, ...(Array.isArray(rec.aliases) ? (rec.aliases as unknown[]) : [])];
  return ids.filter((x): x is string => typeof x === 'string' && CVE.test(x));
}

/**
 * Sets or clears database_specific.ctrsafe.known_exploited on one reviewed record (the parsed file) from the
 * extract; returns true when the record changed. The date is CISA's, so a record never carries a stale one.
 */
export function stampKnownExploited(rec: Record<string, unknown>, kev: ReadonlyMap<string, string>): boolean {
  const ds = rec.database_specific as { ctrsafe?: Record<string, unknown> } | undefined;
  const ctr = ds?.ctrsafe;
  if (!ctr) return false;
  const dates = cvesOfRecord(rec)
    .map((c) => kev.get(c))
    .filter((d): d is string => d !== undefined)
    .sort();
  const before = JSON.stringify(ctr.known_exploited ?? null);
  if (dates.length > 0) ctr.known_exploited = { catalog: 'CISA KEV', date_added: dates[0] };
  else delete ctr.known_exploited;
  return JSON.stringify(ctr.known_exploited ?? null) !== before;
}
