// Builder step with network (development time only, never tests or CI): for each release, the newest upload of
// each runtime package its suites list, and every CVE id its debian/changelog names (inputs/archive-newest, read
// by archive-no-fix.ts).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { serializeWithRows } from '../distro-fix.js';
import { parseIndex, sourcesOf, type SourceVersion } from './archive-index.js';
import type { ArchiveNewestExtract } from './archive-no-fix.js';
import {
  RELEASES,
  Fetcher,
  byVersionDesc,
  changelogFromDeb,
  changelogFromSource,
  decompressIndex,
  readIndexes,
} from './fetch-changelogs.js';
import { parseChangelog } from './package-changelog.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * Releases whose public archive holds every fix the distribution releases: Debian 11 (its LTS uploads went to
 * bullseye-security), Debian 12 and 13 (security uploads go to -security, the others to the release at its point
 * releases; what waits in -proposed-updates is not released) and Ubuntu 22.04 and 24.04 in standard support.
 * Older Ubuntu releases get fixes through ESM, which the public archive does not hold, so "no upload names it"
 * would not mean "no fix released" there.
 */
export const ARCHIVE_COMPLETE = ['bullseye', 'bookworm', 'trixie', 'jammy', 'noble'];

export async function fetchArchiveNewest(opts: {
  out: string;
  cache: string;
  releases: string[];
  packages: RegExp;
  today: string;
  log: (s: string) => void;
}): Promise<void> {
  const f = new Fetcher(opts.cache);
  fs.mkdirSync(opts.out, { recursive: true });
  for (const rel of RELEASES.filter((r) => opts.releases.includes(r.codename))) {
    const indices: [string, string][] = [];
    const sources: (SourceVersion & { base: string })[] = [];
    for (const s of rel.suites)
      for (const c of rel.components)
        for (const n of ['Sources.xz', 'Sources.gz']) {
          const url = `${s.base}/dists/${s.suite}/${c}/source/${n}`;
          const buf = await f.get(url);
          if (!buf) continue;
          indices.push([url, sha256(buf)]);
          const listed = sourcesOf(parseIndex(decompressIndex(buf, n)));
          sources.push(
            ...listed.filter((x) => opts.packages.test(x.package)).map((x) => ({ ...x, base: s.base })),
          );
          break;
        }
    const packages: ArchiveNewestExtract['packages'] = [];
    const unread: [string, string][] = [];
    let binaries: Awaited<ReturnType<typeof readIndexes>>['binaries'] | undefined;
    for (const pkg of [...new Set(sources.map((s) => s.package))].sort()) {
      const newest = sources.filter((s) => s.package === pkg).sort(byVersionDesc)[0]!;
      const file = newest.files.find((x) => /\.(debian\.tar\.[xg]z|diff\.gz)$/.test(x));
      let url = file ? `${newest.base}/${newest.directory}/${file}` : null;
      let buf = url ? await f.get(url) : null;
      let text = buf && file ? changelogFromSource(file, buf, pkg) : null;
      if (!text) {
        // A mirror may serve the binaries but not the source: a binary built from it carries its whole
        // changelog (changelog.Debian.gz; a binNMU's own entry is kept apart), the smallest is read.
        binaries ??= (await readIndexes(f, rel, 'binary-amd64')).binaries;
        const built = binaries
          .filter((b) => b.source === pkg && b.sourceVersion === newest.version)
          .sort((a, b) => a.size - b.size);
        for (const b of built.slice(0, 8)) {
          url = `${b.base}/${b.filename}`;
          buf = await f.get(url);
          text = buf ? f.withCached(url, changelogFromDeb) : null;
          if (text) break;
        }
      }
      const entries = text ? parseChangelog(text) : [];
      if (!url || !buf || entries[0]?.version !== newest.version) {
        opts.log(`${rel.ecosystem} ${pkg}: the changelog of ${newest.version} could not be read; left out`);
        unread.push([pkg, newest.version]);
        continue;
      }
      const named = [...new Set(entries.flatMap((e) => e.cves))].sort();
      packages.push([pkg, newest.version, entries[0].date ?? '', url, sha256(buf), named]);
      opts.log(`${rel.ecosystem} ${pkg}: newest ${newest.version}, ${named.length} CVE ids named`);
    }
    const extract: Omit<ArchiveNewestExtract, 'packages'> = {
      schema: 'ctrsafe.archive-newest/1',
      ecosystem: rel.ecosystem,
      checked: opts.today,
      how: `the Sources indices of ${rel.suites.map((s) => s.suite).join(', ')} read on ${opts.today}; per package the highest version any of them lists, and every CVE id anywhere in that version's debian/changelog (which holds every earlier upload's entry)`,
      license:
        "facts (versions, dates, CVE ids) from the archives' Sources indices and the packages' debian/changelog",
      indices,
      ...(unread.length ? { unread } : {}),
    };
    const name = `${rel.distribution.toLowerCase()}-${rel.codename}.json`;
    fs.writeFileSync(path.join(opts.out, name), serializeWithRows(extract, 'packages', packages));
  }
}
