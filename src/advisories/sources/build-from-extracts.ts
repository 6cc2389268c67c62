// Builder steps for sources read one record at a time (too large to take whole): the kept extracts as sources.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DistroFixSource } from '../distro-fix.js';
import { minimizeFixes } from './merge-fixes.js';
import { fixesFromRedHatExtract, type RedHatExtract } from './redhat-security-data.js';
import { fixesFromDebianTrackerExtract, type DebianTrackerExtract } from './debian-tracker-extract.js';
import { fixesFromSuseExtract, type SuseExtract } from './suse-advisory.js';
import { fixesFromSuseCveExtract, type SuseCveExtract } from './suse-cve-record.js';
import { fixesFromUbuntuTracker, type UbuntuTrackerExtract } from './ubuntu-cve-tracker.js';

export function readJsonFiles<T>(dir: string): T[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as T);
}

export const readRedHatExtracts = (dir: string) => readJsonFiles<RedHatExtract>(dir);

type ExtractRef = { repository: string; path: string; commit: string };

/** The revision of a set of per-record extracts: a digest of the records' repository paths and commits. */
export function extractsRevision(sources: ExtractRef[]): string {
  const h = createHash('sha256');
  for (const s of [...sources].sort((a, b) => (a.path < b.path ? -1 : 1)))
    h.update(`${s.repository} ${s.path} ${s.commit}\n`);
  return `sha256:${h.digest('hex')} of ${sources.length} records (scripts/distro-data/inputs)`;
}

export type SourceMeta = Pick<DistroFixSource, 'id' | 'publisher' | 'repository' | 'license'>;

/** A source file's content, its keys in the order the files have always had (rebuilds compare byte for byte). */
export function distroSource(
  meta: SourceMeta,
  revision: string,
  date: string,
  fixes: DistroFixSource['fixes'],
): DistroFixSource {
  const { id, publisher, repository, license } = meta;
  return { schema: 'ctrsafe.distro-fixes/1', id, publisher, repository, revision, date, license, fixes };
}

/** A source built from extracts: its revision digests the records read, its date is the newest they give. */
function fromExtracts(
  meta: SourceMeta,
  refs: ExtractRef[],
  dates: (string | null | undefined)[],
  fixes: DistroFixSource['fixes'],
): DistroFixSource {
  const newest = dates.reduce<string>((d, x) => (x && x > d ? x : d), '1970-01-01');
  return distroSource(meta, extractsRevision(refs), newest, fixes);
}

/** RHEL 7 to 10 and their update streams: the releases HPC sites run (issue 12), not RHEL 5 and 6. */
const inRedHatScope = (eco: string) => Number(/:(\d+)(?:\.\d+)?$/.exec(eco)?.[1] ?? 0) >= 7;

export function buildRedHat(extracts: readonly RedHatExtract[], keep: ReadonlySet<string>): DistroFixSource {
  const mine = extracts.filter((x) => keep.has(x.cve));
  const fixes = minimizeFixes(mine.flatMap(fixesFromRedHatExtract).filter((f) => inRedHatScope(f.ecosystem)));
  const meta = {
    id: 'redhat-security-data',
    publisher: 'Red Hat Product Security (Security Data API, per CVE)',
    repository:
      'https://github.com/aquasecurity/vuln-list-redhat (api/YYYY/CVE-*.json, one record at a time)',
    license: 'CC-BY-4.0',
  };
  return fromExtracts(
    meta,
    mine.map((x) => x.source),
    fixes.map((f) => f.date),
    fixes,
  );
}

export const readUbuntuTrackerExtracts = (dir: string) => readJsonFiles<UbuntuTrackerExtract>(dir);

/**
 * Ubuntu's own verdicts from its CVE tracker. Where a key also has a row inferred from changelogs, the tracker's
 * decides (a "not-affected" release, or a fix uploaded before the release, never shows in a changelog).
 */
export function buildUbuntuTracker(
  extracts: readonly UbuntuTrackerExtract[],
  keep: ReadonlySet<string>,
): DistroFixSource {
  const mine = extracts.filter((x) => keep.has(x.cve));
  const meta = {
    id: 'ubuntu-cve-tracker',
    publisher: 'Canonical Ubuntu Security Team (CVE tracker, per CVE)',
    repository: 'https://github.com/aquasecurity/vuln-list (ubuntu/YYYY/CVE-*.json, one record at a time)',
    license: 'CC-BY-SA-4.0',
  };
  const fixes = minimizeFixes(mine.flatMap(fixesFromUbuntuTracker));
  return fromExtracts(
    meta,
    mine.map((x) => x.source),
    mine.map((x) => x.public_date),
    fixes,
  );
}

export const readSuseExtracts = (dir: string) => readJsonFiles<SuseExtract>(dir);
export const readSuseCveExtracts = (dir: string) => readJsonFiles<SuseCveExtract>(dir);

/** SUSE's advisories (SUSE-SU, per advisory) and its per-CVE records, one source: both are SUSE's own statements. */
export function buildSuse(
  extracts: readonly SuseExtract[],
  keep: ReadonlySet<string>,
  cveRecords: readonly SuseCveExtract[] = [],
): DistroFixSource {
  const meta = {
    id: 'suse-advisories',
    publisher: 'SUSE (security advisories SUSE-SU and per-CVE records, one at a time)',
    repository:
      'https://github.com/aquasecurity/vuln-list (cvrf/suse, cvrf/suse-cves), quotes of SUSE-SU advisories; see scripts/distro-data/inputs/suse and suse-cves',
    license: 'CC-BY-4.0',
  };
  const fixes = minimizeFixes([
    ...extracts.flatMap((x) => fixesFromSuseExtract(x, (c) => keep.has(c))),
    ...cveRecords.flatMap((x) => fixesFromSuseCveExtract(x, (c) => keep.has(c))),
  ]);
  const refs = [...extracts, ...cveRecords].map((x) => ({
    repository: x.source.repository,
    path: x.source.path,
    commit: x.source.commit,
  }));
  return fromExtracts(
    meta,
    refs,
    [...extracts, ...cveRecords].map((x) => x.date),
    fixes,
  );
}

export const readDebianTrackerExtracts = (dir: string) => readJsonFiles<DebianTrackerExtract>(dir);

/** Debian's own verdicts from its security tracker; like Ubuntu's, they decide over changelog rows of the same key. */
export function buildDebianTracker(
  extracts: readonly DebianTrackerExtract[],
  keep: ReadonlySet<string>,
): DistroFixSource {
  const meta = {
    id: 'debian-tracker',
    publisher: 'Debian Security Team (security tracker, per record)',
    repository:
      'https://github.com/aquasecurity/vuln-list-debian (tracker/CVE, tracker/DLA, one record at a time)',
    license: 'Debian security tracker data (facts)',
  };
  const fixes = minimizeFixes(extracts.flatMap((x) => fixesFromDebianTrackerExtract(x, (c) => keep.has(c))));
  return fromExtracts(
    meta,
    extracts.map((x) => x.source),
    extracts.map((x) => x.date),
    fixes,
  );
}
