// Builder step: the changelog extracts (inputs/changelogs, written by fetch-changelogs) as Debian's and Ubuntu's rows.
import { createHash } from 'node:crypto';
import type { DistroFix, DistroFixSource } from '../distro-fix.js';
import type { ChangelogExtract } from './fetch-changelogs.js';
import { distroSource, readJsonFiles } from './build-from-extracts.js';
import { minimizeFixes } from './merge-fixes.js';
import { firstNamingEntries, type ChangelogEntry } from './package-changelog.js';

export const readChangelogExtracts = (dir: string) => readJsonFiles<ChangelogExtract>(dir);

/**
 * Rows of one extract: each kept CVE is fixed from the lowest upload whose changelog entry names it (the
 * distribution's own statement of the upload that carried the fix). Changelogs cannot say "not affected".
 */
export function fixesFromChangelogExtract(x: ChangelogExtract, keep: (cve: string) => boolean): DistroFix[] {
  const entries: ChangelogEntry[] = x.entries.map(([version, date, distribution, cves]) => ({
    package: x.package,
    version,
    date,
    distribution,
    cves,
  }));
  return [...firstNamingEntries(entries, keep)].map(([cve, e]) => ({
    cve,
    ecosystem: x.ecosystem,
    package: x.package,
    status: 'fixed' as const,
    fixed: e.version,
    ...(e.date ? { date: e.date } : {}),
  }));
}

/** One source per distribution; its revision is a digest of every file read, so the same reads give the same file. */
export function buildFromChangelogs(
  extracts: readonly ChangelogExtract[],
  distribution: 'Debian' | 'Ubuntu',
  keep: (cve: string) => boolean,
): DistroFixSource | null {
  const mine = extracts.filter((x) => x.ecosystem.startsWith(`${distribution}:`));
  if (mine.length === 0) return null;
  const digest = createHash('sha256');
  let newest = '';
  for (const x of mine)
    for (const [url, sha] of x.read) {
      digest.update(`${url} ${sha}\n`);
    }
  for (const x of mine) for (const [, date] of x.entries) if (date && date > newest) newest = date;
  const debian = distribution === 'Debian';
  const meta = {
    id: debian ? 'debian-changelogs' : 'ubuntu-changelogs',
    publisher: debian
      ? 'Debian (debian/changelog of each package in the archive and its security suite)'
      : 'Canonical (changelogs of each kernel and package build in the Ubuntu archive)',
    repository: debian
      ? 'http://deb.debian.org/debian + http://security.debian.org/debian-security'
      : 'http://archive.ubuntu.com/ubuntu',
    license: `facts (versions, dates, CVE ids) read from ${distribution} package changelogs`,
  };
  const files = mine.reduce((n, x) => n + x.read.length, 0);
  const revision = `sha256:${digest.digest('hex')} of ${files} files (scripts/distro-data/inputs/changelogs)`;
  return distroSource(
    meta,
    revision,
    newest || '1970-01-01',
    minimizeFixes(mine.flatMap((x) => fixesFromChangelogExtract(x, keep))),
  );
}
