// The local advisory database that `ctrsafe db update` maintains: imported records and distribution data beside the
// built-in ones, in one file swapped in atomically.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError } from '../errors.js';
import { SafeDir } from '../host/safe-write.js';
import { parseAdvisory, type Advisory } from './advisory.js';
import { parseDistroFixSource, toRow, type DistroFixSource } from './distro-fix.js';

export interface ImportSummary {
  at: string;
  from: string;
  added: number;
  updated: number;
  unchanged: number;
  skipped: number;
  /** Records whose CVE a shipped, reviewed record already describes (their distribution rows are kept). */
  covered?: number;
  /** Shipped records replaced (only with --replace-shipped). */
  replaced?: string[];
  /** Distribution rows kept, per imported source id. */
  distro_rows?: Record<string, number>;
}

export interface StoreMeta {
  schema: 'ctrsafe.advisory-store/2';
  updated_at: string;
  imports: ImportSummary[];
}

export interface Store {
  advisories: Advisory[];
  /** Distribution fix data imported from vendor exports; each replaces the built-in source of the same id. */
  distro: DistroFixSource[];
  meta: StoreMeta;
  problems: string[];
}

const STORE_FILE = 'store.json';
/** Version 1 kept two files; read for the upgrade, replaced by STORE_FILE on the next update. */
const LEGACY = ['advisories.json', 'meta.json'];
const MAX_STORE_BYTES = 512 * 1024 * 1024;
/** A record dated later than this after now is treated as undated: it cannot make the database look fresh. */
const CLOCK_SKEW_MS = 24 * 3600 * 1000;

/** CTRSAFE_DB, else /var/lib/ctrsafe for root and $XDG_DATA_HOME/ctrsafe (~/.local/share/ctrsafe) for users. */
export function defaultStoreDir(env: NodeJS.ProcessEnv): string {
  if (env.CTRSAFE_DB) return env.CTRSAFE_DB;
  if (process.getuid?.() === 0) return '/var/lib/ctrsafe';
  return path.join(env.XDG_DATA_HOME || path.join(os.homedir(), '.local/share'), 'ctrsafe');
}

function emptyMeta(): StoreMeta {
  return { schema: 'ctrsafe.advisory-store/2', updated_at: new Date(0).toISOString(), imports: [] };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * NAME in the database directory: a regular file owned by this user or root, read by descriptor below a directory
 * nobody else can write (whoever can write there decides every verdict), at most 512 MiB; null when missing.
 */
function readBounded(db: SafeDir, name: string): string | null {
  return db.readFile(name, MAX_STORE_BYTES)?.toString('utf8') ?? null;
}

function importNote(r: Record<string, unknown>): { from: string; at: string } {
  const note = isRecord(r.database_specific) ? r.database_specific.ctrsafe_import : undefined;
  return isRecord(note) && typeof note.from === 'string' && typeof note.at === 'string'
    ? { from: note.from.slice(0, 500), at: note.at.slice(0, 40) }
    : { from: 'an earlier ctrsafe db update', at: 'unknown' };
}

/**
 * Records as the store keeps them: OSV, with ctrsafe's own import note beside database_specific.ctrsafe. A store
 * written by this version was validated record by record when it was written (parseAdvisory in db update), in a
 * directory only its owner can write, and every check reads it: it is reshaped after a shape check, as the built-in
 * records are, instead of validated again (6,000 imported records cost ~0.4 s more to re-validate on each check).
 * Stores of version 1 are validated in full.
 */
function advisoriesFrom(list: unknown, file: string, problems: string[], trusted: boolean): Advisory[] {
  const out: Advisory[] = [];
  for (const r of Array.isArray(list) ? list : []) {
    const ds = isRecord(r) && isRecord(r.database_specific) ? r.database_specific : null;
    const ctr = ds && isRecord(ds.ctrsafe) ? ds.ctrsafe : null;
    if (
      trusted &&
      isRecord(r) &&
      ctr &&
      typeof r.id === 'string' &&
      typeof r.summary === 'string' &&
      Array.isArray(r.affected) &&
      typeof ctr.severity === 'string'
    ) {
      const { database_specific: _ds, ...rest } = r as Record<string, unknown> & Omit<Advisory, 'ctrsafe'>;
      out.push({
        ...rest,
        aliases: Array.isArray(r.aliases) ? (r.aliases as string[]) : [],
        references: Array.isArray(r.references) ? (r.references as Advisory['references']) : [],
        ctrsafe: {
          ...(ctr as unknown as Advisory['ctrsafe']),
          preconditions: isRecord(ctr.preconditions)
            ? (ctr.preconditions as Advisory['ctrsafe']['preconditions'])
            : {},
          unconfirmed: Array.isArray(ctr.unconfirmed) ? (ctr.unconfirmed as string[]) : [],
          imported: importNote(r),
        },
      });
      continue;
    }
    const p = parseAdvisory(r);
    if (!p.ok) {
      problems.push(`${file}: ${isRecord(r) ? String(r.id ?? '?').slice(0, 100) : '?'}: ${p.reason}`);
      continue;
    }
    p.advisory.ctrsafe.imported = importNote(r as Record<string, unknown>);
    out.push(p.advisory);
  }
  return out;
}

export function readStore(dir: string): Store | null {
  const problems: string[] = [];
  let db: SafeDir | null = null;
  try {
    if (!fs.existsSync(dir)) return null;
    db = SafeDir.open(dir);
    const text = readBounded(db, STORE_FILE);
    if (text !== null) {
      const raw = JSON.parse(text) as Record<string, unknown>;
      if (!isRecord(raw) || raw.schema !== 'ctrsafe.advisory-store/2')
        return {
          advisories: [],
          distro: [],
          meta: emptyMeta(),
          problems: [`${dir}/${STORE_FILE}: not a ctrsafe advisory store`],
        };
      const meta =
        isRecord(raw.meta) && Array.isArray(raw.meta.imports)
          ? (raw.meta as unknown as StoreMeta)
          : emptyMeta();
      const distro: DistroFixSource[] = [];
      for (const s of Array.isArray(raw.distro) ? raw.distro : []) {
        const p = parseDistroFixSource(s);
        if (p.ok) distro.push(p.source);
        else problems.push(`${dir}/${STORE_FILE}: distribution source: ${p.reason}`);
      }
      return {
        advisories: advisoriesFrom(raw.advisories, `${dir}/${STORE_FILE}`, problems, true),
        distro,
        meta,
        problems,
      };
    }
    const legacy = readBounded(db, LEGACY[0]!);
    if (legacy === null) return null;
    const advisories = advisoriesFrom(JSON.parse(legacy), `${dir}/${LEGACY[0]}`, problems, false);
    let meta = emptyMeta();
    const m = readBounded(db, LEGACY[1]!);
    const old = m ? (JSON.parse(m) as { imports?: unknown }) : null;
    if (old && Array.isArray(old.imports)) meta = { ...meta, imports: old.imports as ImportSummary[] };
    return { advisories, distro: [], meta, problems };
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0]!;
    // SafeDir's refusals name the path themselves.
    return {
      advisories: [],
      distro: [],
      meta: emptyMeta(),
      problems: [e instanceof InputError ? msg : `${dir}: ${msg}`],
    };
  } finally {
    db?.close();
  }
}

/**
 * Advisory back to its OSV form, with the import note beside (not inside) database_specific.ctrsafe. Imported records
 * keep what a report shows (no long details, five references): every check loads the store.
 */
export function toOsv(a: Advisory): Record<string, unknown> {
  const { ctrsafe, details, references, ...rest } = a;
  const { imported, ...reviewedShape } = ctrsafe;
  return {
    schema_version: '1.6.0',
    ...rest,
    ...(details !== undefined ? { details: imported ? details.slice(0, 500) : details } : {}),
    references: imported ? references.slice(0, 5) : references,
    database_specific: { ctrsafe: reviewedShape, ...(imported ? { ctrsafe_import: imported } : {}) },
  };
}

/**
 * The whole store in one file, through SafeDir: the directory (created 0755 if missing) must be closed to other
 * users, since ctrsafe writes there as root and whoever controls it controls every verdict; the file is written to a
 * fresh temporary name (O_EXCL|O_NOFOLLOW), fsynced and renamed over the old one, so a crash leaves the old database
 * or the new one, never a mix.
 */
export function writeStore(dir: string, store: Omit<Store, 'problems'>): void {
  const body =
    JSON.stringify({
      schema: 'ctrsafe.advisory-store/2',
      meta: store.meta,
      advisories: store.advisories.map(toOsv),
      distro: store.distro.map(({ fixes, ...meta }) => ({ ...meta, fixes: fixes.map(toRow) })),
    }) + '\n';
  const db = openDatabaseDir(dir);
  try {
    db.writeFile(STORE_FILE, body, 0o644);
    for (const old of LEGACY) db.remove(old);
    db.sync();
  } finally {
    db.close();
  }
}

/** Built-in records overlaid by imported ones (an import replaces a shipped id only with --replace-shipped). */
export function mergeAdvisories(builtin: readonly Advisory[], imported: readonly Advisory[]): Advisory[] {
  const byId = new Map(builtin.map((a) => [a.id, a]));
  for (const a of imported) byId.set(a.id, a);
  return [...byId.values()];
}

/**
 * Built-in distribution sources overlaid by imported ones: an imported source of the same id replaces the built-in
 * rows of the (CVE, release, package) it gives and keeps the rest; its date and revision then speak for the source.
 * Imported sources of new ids come after the built-in ones.
 */
export function mergeDistroSources(
  builtin: readonly DistroFixSource[],
  imported: readonly DistroFixSource[],
): DistroFixSource[] {
  const byId = new Map(imported.map((s) => [s.id, s]));
  const key = (f: DistroFixSource['fixes'][number]) => `${f.cve}\0${f.ecosystem}\0${f.package}`;
  const out = builtin.map((b) => {
    const over = byId.get(b.id);
    if (!over) return b;
    byId.delete(b.id);
    const replaced = new Set(over.fixes.map(key));
    return { ...over, fixes: [...b.fixes.filter((f) => !replaced.has(key(f))), ...over.fixes] };
  });
  return [...out, ...byId.values()];
}

/** The database directory for writing, created if missing, refused when another user could write in it or above. */
export function openDatabaseDir(dir: string): SafeDir {
  try {
    return SafeDir.open(dir, { create: 0o755 });
  } catch (e) {
    throw new InputError(
      `database directory ${(e as Error).message.split('\n')[0]} (set CTRSAFE_DB or --db DIR)`,
    );
  }
}

/**
 * The newest published/modified date among records: how old the database's knowledge is. Dates in the future are
 * ignored, so a record dated 2099 cannot silence the staleness warning.
 */
export function newestRecordDate(advisories: readonly Advisory[], now: Date = new Date()): Date | null {
  let best = 0;
  const limit = now.getTime() + CLOCK_SKEW_MS;
  for (const a of advisories) {
    for (const d of [a.modified, a.published]) {
      const t = d ? Date.parse(d) : NaN;
      if (!Number.isNaN(t) && t > best && t <= limit) best = t;
    }
  }
  return best > 0 ? new Date(best) : null;
}

/** True when an ISO date lies further in the future than clock skew explains. */
export function isFutureDate(d: string, now: Date): boolean {
  const t = Date.parse(d);
  return !Number.isNaN(t) && t > now.getTime() + CLOCK_SKEW_MS;
}
