// Builder steps that read whole repository copies: AlmaLinux's OSV database and Rocky Linux's CSAF (ctrliq/advisories).
import type { DistroFix, DistroFixSource } from '../distro-fix.js';
import { distroSource, type SourceMeta } from './build-from-extracts.js';
import { distroFixesFromCsaf } from './csaf-advisory.js';
import { isoDay } from './ecosystems.js';
import type { InputTree } from './input-tree.js';
import { minimizeFixes } from './merge-fixes.js';
import { distroFixesFromOsv } from './osv-distro.js';

const CVE_G = /CVE-\d{4}-\d{4,7}/g;

/** Only documents that name a kept CVE are parsed (Rocky's CSAF is 420 MB of JSON). */
function namesKeptCve(buf: Buffer, keep: ReadonlySet<string>): boolean {
  const text = buf.toString('latin1');
  for (const m of text.matchAll(CVE_G)) if (keep.has(m[0])) return true;
  return false;
}

function newest(a: string | null, b: string | null): string | null {
  return a === null ? b : b === null ? a : a > b ? a : b;
}

interface Read {
  fixes: DistroFix[];
  newest: string | null;
  files: number;
  /** Listed in the copy's tree but not held by it (large blobs a mirror left out). */
  missing: string[];
}

function readDocuments(
  tree: InputTree,
  files: string[],
  keep: ReadonlySet<string>,
  convert: (raw: unknown) => DistroFix[],
  dateOf: (raw: Record<string, unknown>) => string | null,
): Read {
  const res: Read = { fixes: [], newest: null, files: files.length, missing: [] };
  for (let i = 0; i < files.length; i += 500) {
    const chunk = files.slice(i, i + 500);
    const got = tree.readMany(chunk);
    res.missing.push(...chunk.filter((f) => !got.has(f)));
    for (const [name, buf] of got) {
      const cheapDate = /"(?:modified|current_release_date)"\s*:\s*"(\d{4}-\d{2}-\d{2})/.exec(
        buf.toString('latin1', 0, 64 * 1024),
      );
      res.newest = newest(res.newest, cheapDate ? cheapDate[1]! : null);
      if (!namesKeptCve(buf, keep)) continue;
      let raw: unknown;
      try {
        raw = JSON.parse(buf.toString('utf8'));
      } catch {
        throw new Error(`${name}: not valid JSON`);
      }
      res.newest = newest(res.newest, dateOf(raw as Record<string, unknown>));
      res.fixes.push(...convert(raw));
    }
  }
  return res;
}

function report(id: string, r: Read, log: (s: string) => void): void {
  log(
    `${id}: ${r.files} documents listed, ${r.missing.length} not held by the copy${r.missing.length ? ` (${r.missing.slice(0, 5).join(', ')}${r.missing.length > 5 ? ', ...' : ''})` : ''}`,
  );
}

/** A source read whole from a mirror: the mirror's commit is its revision, the newest document its date. */
function fromMirror(
  meta: SourceMeta,
  tree: InputTree,
  r: { fixes: DistroFixSource['fixes']; newest: string | null },
): DistroFixSource {
  return distroSource(meta, tree.revision, r.newest ?? tree.date ?? '1970-01-01', minimizeFixes(r.fixes));
}

/** AlmaLinux/osv-database (MIT): advisories/almalinux{8,9,10}/ALSA-*.json. */
export function buildAlmaLinux(
  tree: InputTree,
  keep: ReadonlySet<string>,
  log: (s: string) => void,
): DistroFixSource {
  const files = tree
    .list('advisories/')
    .filter((f) => /^advisories\/almalinux\d+\/AL[SBE]A-[^/]+\.json$/.test(f));
  const r = readDocuments(
    tree,
    files,
    keep,
    (raw) => distroFixesFromOsv(raw, (c) => keep.has(c)),
    (raw) => isoDay(raw.modified),
  );
  report('almalinux-osv', r, log);
  const meta = {
    id: 'almalinux-osv',
    publisher: 'AlmaLinux OS Foundation (errata in OSV form)',
    repository: 'https://github.com/AlmaLinux/osv-database',
    license: 'MIT',
  };
  return fromMirror(meta, tree, r);
}

/** ctrliq/advisories (no licence stated): csaf/advisories/rocky/YYYY/*.json, CIQ's CSAF of Rocky Linux's errata. */
export function buildRockyLinux(
  tree: InputTree,
  keep: ReadonlySet<string>,
  log: (s: string) => void,
): DistroFixSource {
  // crl[sbe]a: Rocky Linux's security, bug-fix and enhancement errata; crxsa are CIQ's own builds (".cloud" kernels).
  const files = tree.list('csaf/advisories/rocky/').filter((f) => /\/crl[sbe]a-[^/]+\.json$/.test(f));
  const r = readDocuments(
    tree,
    files,
    keep,
    (raw) => distroFixesFromCsaf(raw, (c) => keep.has(c)),
    (raw) => {
      const doc = raw.document as { tracking?: { current_release_date?: unknown } } | undefined;
      return isoDay(doc?.tracking?.current_release_date);
    },
  );
  report('rocky-csaf', r, log);
  const meta = {
    id: 'rocky-csaf',
    publisher: 'Rocky Enterprise Software Foundation (errata as CSAF 2.0 by CIQ)',
    repository: 'https://github.com/ctrliq/advisories',
    license: 'none stated (publisher CIQ)',
  };
  return fromMirror(meta, tree, r);
}
