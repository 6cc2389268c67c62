// Builder step: "no fix released" rows from a release's archive, where the distribution's records are silent.
// The Sources indices of a release's suites list every upload it ships; the newest upload's debian/changelog holds
// the entry of every earlier one, and the distributions name in it each CVE an upload fixes (issue 12: "a package
// changelog naming the CVE is evidence of the fix"). A CVE that no entry names has had no fix released there. The
// row says only that: whether the package is affected at all is left to the reviewed record's upstream ranges at
// check time (a version outside them is not affected, whatever the archive holds).
import { createHash } from 'node:crypto';
import type { DistroFix, DistroFixSource } from '../distro-fix.js';
import { distroSource, readJsonFiles } from './build-from-extracts.js';
import { compareFixes } from './merge-fixes.js';
import { packageFamily } from './relevant-packages.js';

export interface ArchiveNewestExtract {
  schema: 'ctrsafe.archive-newest/1';
  /** "Debian:11", "Ubuntu:22.04:LTS". */
  ecosystem: string;
  /** The day the indices were read (YYYY-MM-DD): the rows hold as of then. */
  checked: string;
  how: string;
  license: string;
  /** [Sources index URL, sha256] of every index read. */
  indices: [string, string][];
  /** [source package, newest version, its changelog entry's date, changelog file URL, sha256, every CVE id the changelog names]. */
  packages: [string, string, string, string, string, string[]][];
  /** [source package, newest version] of uploads whose changelog could not be read (no row relies on them). */
  unread?: [string, string][];
}

export const readArchiveNewestExtracts = (dir: string) => readJsonFiles<ArchiveNewestExtract>(dir);

/**
 * The Go library sources a runtime's package is built with (its Build-Depends in the releases read: bookworm's
 * libpod names golang-github-containers-buildah-dev, -common-dev, -image-dev; trixie's podman the same). Debian
 * and Ubuntu link them in at build time, so a fix uploaded to one of them reaches the runtime through a rebuild
 * (a binNMU, "+bN") that adds no entry to the runtime's own changelog: a CVE their changelogs name is no proof that
 * no fix was released.
 */
export const BUILT_WITH: Readonly<Record<string, readonly string[]>> = {
  podman: [
    'golang-github-containers-buildah',
    'golang-github-containers-common',
    'golang-github-containers-image',
    'golang-github-containers-storage',
  ],
};

/** The source packages fetch-archive-newest reads by default: the runtimes and the sources they are built with. */
export const ARCHIVE_PACKAGES = ['runc', 'runc-app', 'crun', 'libpod', 'podman', ...BUILT_WITH.podman!];

/**
 * Rows for each CVE of a reviewed record of the package's family that the newest upload's changelog does not
 * name, except where a distribution record already decides the key (`decided`: fixed, not affected or affected)
 * or where the newest upload of a source the runtime is built with names the CVE. A family the release ships from
 * two sources (Ubuntu's runc and runc-app) gets none: a host's binary may come from the other one, whose upload
 * may carry the fix.
 */
export function noFixRows(
  x: ArchiveNewestExtract,
  scope: ReadonlyMap<string, ReadonlySet<string>>,
  decided: ReadonlySet<string>,
): DistroFix[] {
  const out: DistroFix[] = [];
  const families = x.packages.map(([pkg]) => packageFamily(pkg));
  const namedBy = new Map(x.packages.map(([pkg, , , , , named]) => [pkg, named]));
  for (const [pkg, , , , , named] of x.packages) {
    const family = packageFamily(pkg);
    if (families.filter((f) => f === family).length > 1) continue;
    // A source it is built with that could not be read may name the fix: no row can be made without it.
    if ((BUILT_WITH[family] ?? []).some((b) => x.unread?.some(([u]) => u === b))) continue;
    const names = new Set([...named, ...(BUILT_WITH[family] ?? []).flatMap((b) => namedBy.get(b) ?? [])]);
    for (const [cve, of] of scope) {
      if (!of.has(family) || names.has(cve)) continue;
      if (decided.has(`${cve}\0${x.ecosystem}\0${pkg}`)) continue;
      out.push({ cve, ecosystem: x.ecosystem, package: pkg, status: 'no-fix-released', date: x.checked });
    }
  }
  return out;
}

/** One source for every release read; its revision is a digest of every index and changelog read. */
export function buildArchiveNoFix(
  extracts: readonly ArchiveNewestExtract[],
  scope: ReadonlyMap<string, ReadonlySet<string>>,
  decided: ReadonlySet<string>,
): DistroFixSource | null {
  if (extracts.length === 0) return null;
  const digest = createHash('sha256');
  let files = 0;
  for (const x of extracts) {
    for (const [url, sha] of x.indices) digest.update(`${url} ${sha}\n`);
    for (const [, , , url, sha] of x.packages) digest.update(`${url} ${sha}\n`);
    files += x.indices.length + x.packages.length;
  }
  const checked = extracts
    .map((x) => x.checked)
    .sort()
    .at(-1)!;
  const fixes = extracts.flatMap((x) => noFixRows(x, scope, decided)).sort(compareFixes);
  return distroSource(
    {
      id: 'archive-no-fix',
      publisher:
        'Debian and Canonical (the Sources indices of each release and the newest upload’s debian/changelog)',
      repository:
        'http://deb.debian.org/debian + http://security.debian.org/debian-security + http://archive.ubuntu.com/ubuntu',
      license: 'facts (versions, dates, CVE ids) read from the archives’ indices and package changelogs',
    },
    `sha256:${digest.digest('hex')} of ${files} files (scripts/distro-data/inputs/archive-newest)`,
    checked,
    fixes,
  );
}
