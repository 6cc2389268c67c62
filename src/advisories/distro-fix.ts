// A distribution's own verdict on one CVE for one source package in one release: the data that decides
// distribution kernels and runtime packages (docs/advisory-format.md, "Distribution fix data").

/**
 * fixed: the release ships the fix from `fixed` on (Ubuntu's "not-affected" with a version, a fix that
 * predates the release, is `fixed` at that version too); not-affected: the release's package never had the
 * flaw (Debian "not-affected", Ubuntu "DNE"/"not-affected" without a version, Red Hat "known_not_affected");
 * unfixed: affected and no fix released (Ubuntu "needed"/"deferred", Debian "<unfixed>", Red Hat
 * "known_affected" without a fix); undetermined: the distribution has not decided ("needs-triage",
 * "under_investigation"), which ctrsafe reports as unknown with that reason; unlisted: the distribution's record,
 * read whole, names the release's package under no status at all (a SUSE per-CVE record that lists neither a fix
 * nor "Known Not Affected" for it), reported as unknown saying so; no-fix-released: no distribution record speaks,
 * and no upload of the release (its archive's indices, the newest upload's changelog) names the CVE, so no fix was
 * released there as of `date`; the reviewed record's upstream ranges then say whether the package is affected.
 */
export type DistroFixStatus =
  'fixed' | 'not-affected' | 'unfixed' | 'undetermined' | 'unlisted' | 'no-fix-released';

export interface DistroFix {
  /** The CVE id the distribution's record names. */
  cve: string;
  /**
   * OSV ecosystem of the release: "Debian:12", "Ubuntu:22.04:LTS", "AlmaLinux:9", "Rocky Linux:9",
   * "Red Hat:enterprise_linux:8", "Red Hat:rhel_eus:8.4", "SUSE:Linux Enterprise Server 15 SP3".
   */
  ecosystem: string;
  /** The distribution's source package: "linux", "linux-hwe-5.15", "kernel", "kernel-rt", "kernel-default", "libpod". */
  package: string;
  status: DistroFixStatus;
  /** With status fixed: the first version carrying the fix, in the distribution's syntax (RPM epoch inline: "4:1.1.12-1.el9_3"). */
  fixed?: string;
  /** The distribution's advisory: RHSA/ALSA/RLSA/DSA/DLA/USN/SUSE-SU id. */
  advisory?: string;
  /** When the distribution published this verdict (YYYY-MM-DD). */
  date?: string;
}

/** One source's extract, as the builder writes it to advisories/distro/<id>.json. */
export interface DistroFixSource {
  schema: 'ctrsafe.distro-fixes/1';
  /** "almalinux-osv", "rocky-csaf", "redhat-csaf-vex", "debian-tracker", "ubuntu-osv", "suse-cvrf", ... */
  id: string;
  /** Who publishes it, in words. */
  publisher: string;
  /** Where it was read: a repository ("AlmaLinux/osv-database") or an archive URL. */
  repository: string;
  /** The commit (or, for archives, the file date) of the copy read. */
  revision: string;
  /** The date of the newest record read (YYYY-MM-DD): how current this source is. */
  date: string;
  /** The licence of the data, as the publisher states it ("MIT", "CC-BY-4.0", "CC-BY-SA-4.0", "none stated"). */
  license: string;
  fixes: DistroFix[];
  /**
   * The rows of these releases only, where a source can give them without building the rest (the built-in data,
   * unpackDistroFixSource): a check reads its host's releases, about a tenth of the rows.
   */
  fixesIn?(ecosystems: ReadonlySet<string>): DistroFix[];
}

/** On disk each fix is one array, to keep the shipped data compact: [cve, ecosystem, package, status, fixed, advisory, date]. */
export type DistroFixRow = [
  string,
  string,
  string,
  DistroFixStatus,
  string | null,
  string | null,
  string | null,
];

const STATUSES: readonly DistroFixStatus[] = [
  'fixed',
  'not-affected',
  'unfixed',
  'undetermined',
  'unlisted',
  'no-fix-released',
];
const MAX_FIXES = 500_000;
const CVE = /^CVE-\d{4}-\d{4,7}$/;
const TOKEN = /^[\x21-\x7e][\x20-\x7e]{0,199}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function toRow(f: DistroFix): DistroFixRow {
  return [f.cve, f.ecosystem, f.package, f.status, f.fixed ?? null, f.advisory ?? null, f.date ?? null];
}

function fromRow(r: DistroFixRow): DistroFix {
  const f: DistroFix = { cve: r[0], ecosystem: r[1], package: r[2], status: r[3] };
  if (r[4] !== null) f.fixed = r[4];
  if (r[5] !== null) f.advisory = r[5];
  if (r[6] !== null) f.date = r[6];
  return f;
}

/**
 * The built-in data as scripts/gen-advisory-db.mjs packs it: each source's rows grouped by release, each group
 * kept as the JSON text of its rows, so that parsing the database builds no row a check does not read.
 */
export interface PackedDistroFixSource extends Omit<DistroFixSource, 'fixes' | 'fixesIn'> {
  fixes_by_ecosystem: Record<string, string>;
}

/** Rows back to fixes. Indexed reads and plain assignments: a quarter of the interpreter's time for destructuring. */
const fromRows = (rows: DistroFixRow[]): DistroFix[] => {
  const out = new Array<DistroFix>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = fromRow(rows[i]!);
  return out;
};

/** A packed source's rows, as the source file on disk holds them (for validation of what is shipped). */
export function packedRows(p: PackedDistroFixSource): DistroFixRow[] {
  return Object.values(p.fixes_by_ecosystem).flatMap((text) => JSON.parse(text) as DistroFixRow[]);
}

/**
 * A packed source whose groups are parsed when first asked for, without validation: for the built-in data only,
 * which the tests validate when it is shipped. Parsing and reshaping every row was a fifth of a check's own time
 * (issue 16), and a check needs its host's releases only (fixesIn). `fixes` (all rows, grouped by release) is an
 * own enumerable getter, so spreading or serialising the source still gives every row.
 */
export function unpackDistroFixSource(p: PackedDistroFixSource): DistroFixSource {
  const { fixes_by_ecosystem: groups, ...meta } = p;
  const parsed = new Map<string, DistroFix[]>();
  const group = (eco: string): DistroFix[] => {
    let g = parsed.get(eco);
    if (!g) {
      g = Object.hasOwn(groups, eco) ? fromRows(JSON.parse(groups[eco]!) as DistroFixRow[]) : [];
      parsed.set(eco, g);
    }
    return g;
  };
  let all: DistroFix[] | null = null;
  const source = { ...meta } as DistroFixSource;
  Object.defineProperty(source, 'fixes', {
    enumerable: true,
    get: () => (all ??= Object.keys(groups).flatMap(group)),
  });
  Object.defineProperty(source, 'fixesIn', {
    enumerable: false,
    value: (ecosystems: ReadonlySet<string>) => [...ecosystems].flatMap(group),
  });
  return source;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const text = (v: unknown, max = 300): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/** Validates one source file (bounded); a one-line reason instead of a throw. */
export function parseDistroFixSource(
  raw: unknown,
): { ok: true; source: DistroFixSource } | { ok: false; reason: string } {
  if (!isRecord(raw)) return { ok: false, reason: 'not a JSON object' };
  if (raw.schema !== 'ctrsafe.distro-fixes/1')
    return { ok: false, reason: 'schema is not ctrsafe.distro-fixes/1' };
  for (const k of ['id', 'publisher', 'repository', 'revision', 'license'] as const)
    if (!text(raw[k])) return { ok: false, reason: `missing or malformed "${k}"` };
  if (typeof raw.date !== 'string' || !DATE.test(raw.date))
    return { ok: false, reason: '"date" is not YYYY-MM-DD' };
  if (!Array.isArray(raw.fixes) || raw.fixes.length > MAX_FIXES)
    return { ok: false, reason: `"fixes" must be a list of at most ${MAX_FIXES} rows` };
  const fixes: DistroFix[] = [];
  for (const [i, r] of raw.fixes.entries()) {
    if (!Array.isArray(r) || r.length !== 7) return { ok: false, reason: `fixes[${i}] is not a 7-item row` };
    const [cve, ecosystem, pkg, status, fixed, advisory, date] = r as unknown[];
    if (typeof cve !== 'string' || !CVE.test(cve))
      return { ok: false, reason: `fixes[${i}]: malformed CVE id` };
    if (typeof ecosystem !== 'string' || !TOKEN.test(ecosystem))
      return { ok: false, reason: `fixes[${i}]: malformed ecosystem` };
    if (typeof pkg !== 'string' || !/^[a-z0-9][a-z0-9.+_-]{0,99}$/.test(pkg))
      return { ok: false, reason: `fixes[${i}]: malformed package name` };
    if (!STATUSES.includes(status as DistroFixStatus))
      return { ok: false, reason: `fixes[${i}]: unknown status` };
    if (status === 'fixed' ? typeof fixed !== 'string' || !TOKEN.test(fixed) : fixed !== null)
      return {
        ok: false,
        reason: `fixes[${i}]: a fixed version belongs to status "fixed" only, and "fixed" needs one`,
      };
    if (advisory !== null && (typeof advisory !== 'string' || !TOKEN.test(advisory)))
      return { ok: false, reason: `fixes[${i}]: malformed advisory id` };
    if (date !== null && (typeof date !== 'string' || !DATE.test(date)))
      return { ok: false, reason: `fixes[${i}]: date is not YYYY-MM-DD` };
    fixes.push({
      cve,
      ecosystem,
      package: pkg,
      status: status as DistroFixStatus,
      ...(typeof fixed === 'string' ? { fixed } : {}),
      ...(typeof advisory === 'string' ? { advisory } : {}),
      ...(typeof date === 'string' ? { date } : {}),
    });
  }
  const s = raw as Record<string, string>;
  return {
    ok: true,
    source: {
      schema: 'ctrsafe.distro-fixes/1',
      id: s.id!,
      publisher: s.publisher!,
      repository: s.repository!,
      revision: s.revision!,
      date: s.date!,
      license: s.license!,
      fixes,
    },
  };
}

/** The file form: metadata plus rows, one row per line so diffs of a rebuilt source stay readable. */
export function serializeDistroFixSource(s: DistroFixSource): string {
  const { fixes, ...meta } = s;
  return serializeWithRows(meta, 'fixes', fixes.map(toRow));
}

/** JSON of `meta` with one more key holding `rows`, each row on its own line (the builder's files and extracts). */
export function serializeWithRows(meta: object, key: string, rows: readonly unknown[]): string {
  const head = JSON.stringify(meta, null, 2).replace(/\n}$/, '');
  const body = rows.map((r) => `    ${JSON.stringify(r)}`).join(',\n');
  return `${head === '{' ? '{' : `${head},`}\n  ${JSON.stringify(key)}: [\n${body}${body ? '\n' : ''}  ]\n}\n`;
}
