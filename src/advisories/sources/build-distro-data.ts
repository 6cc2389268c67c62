// The distribution data builder (`npm run build:distro-data -- <command>`): extracts and converts the
// distributions' published records into advisories/distro/*.json, and CISA KEV into the reviewed records.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  parseDistroFixSource,
  serializeDistroFixSource,
  serializeWithRows,
  type DistroFix,
  type DistroFixSource,
} from '../distro-fix.js';
import { ARCHIVE_PACKAGES, buildArchiveNoFix, readArchiveNewestExtracts } from './archive-no-fix.js';
import { buildAlmaLinux, buildRockyLinux } from './build-from-mirrors.js';
import { buildFromChangelogs, readChangelogExtracts } from './build-from-changelogs.js';
import { ARCHIVE_COMPLETE, fetchArchiveNewest } from './fetch-archive-newest.js';
import { defaultDistroCache, fetchChangelogs } from './fetch-changelogs.js';
import {
  buildDebianTracker,
  buildRedHat,
  buildSuse,
  buildUbuntuTracker,
  readDebianTrackerExtracts,
  readRedHatExtracts,
  readSuseCveExtracts,
  readSuseExtracts,
  readUbuntuTrackerExtracts,
} from './build-from-extracts.js';
import { openInputTree } from './input-tree.js';
import { packageFamily, targetFamily } from './relevant-packages.js';
import { kevExtract, parseKevCatalog, stampKnownExploited, cvesOfRecord, type KevExtract } from './kev.js';

export const USAGE = `Usage: build-distro-data kev --from KEV_DATA   (a cisagov/kev-data checkout or mirror)
       build-distro-data fetch-changelogs [--releases bookworm,jammy] [--packages 'linux|runc'] [--cache DIR]
                                           (network: Debian and Ubuntu archives -> inputs/changelogs)
       build-distro-data fetch-archive-newest [--releases bullseye,bookworm,trixie,jammy,noble] [--packages 'runc|crun|...']
                                           (network: each release's newest runtime uploads -> inputs/archive-newest)
       build-distro-data build [--alma DIR] [--rocky DIR]   (offline: inputs + mirrors -> advisories/distro)
Paths are relative to the repository; --repo DIR names another checkout. Downloads are cached in --cache DIR
(default $XDG_CACHE_HOME/ctrsafe/distro-cache, ~/.cache/ctrsafe/distro-cache), a directory nobody else may write.`;

export interface BuilderPaths {
  repo: string;
  advisories: string;
  distro: string;
  inputs: string;
}

export function builderPaths(repo: string): BuilderPaths {
  return {
    repo,
    advisories: path.join(repo, 'advisories'),
    distro: path.join(repo, 'advisories/distro'),
    inputs: path.join(repo, 'scripts/distro-data/inputs'),
  };
}

/** The reviewed records as parsed JSON, by file name (sorted). */
export function readReviewedRecords(dir: string): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const n of fs
    .readdirSync(dir)
    .filter((x) => x.endsWith('.json'))
    .sort())
    out.set(n, JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as Record<string, unknown>);
  return out;
}

/** Every CVE a reviewed record names: the builder keeps distribution rows for these only. */
export function reviewedCves(dir: string): Set<string> {
  const s = new Set<string>();
  for (const r of readReviewedRecords(dir).values()) for (const c of cvesOfRecord(r)) s.add(c);
  return s;
}

/**
 * CVE → the package families its reviewed record targets: a container-tools module update lists conmon and
 * slirp4netns beside the runc it fixes, and only the runc row says something about the record.
 */
export function reviewedScope(dir: string): Map<string, Set<string>> {
  const scope = new Map<string, Set<string>>();
  for (const r of readReviewedRecords(dir).values()) {
    const families = new Set<string>();
    for (const a of Array.isArray(r.affected) ? r.affected : []) {
      const t = (a as { database_specific?: { ctrsafe_target?: unknown } }).database_specific?.ctrsafe_target;
      const f = typeof t === 'string' ? targetFamily(t) : undefined;
      if (f) families.add(f);
    }
    for (const c of cvesOfRecord(r)) scope.set(c, new Set([...(scope.get(c) ?? []), ...families]));
  }
  return scope;
}

export function inScope(
  scope: ReadonlyMap<string, ReadonlySet<string>>,
  src: DistroFixSource,
): DistroFixSource {
  return { ...src, fixes: src.fixes.filter((f) => scope.get(f.cve)?.has(packageFamily(f.package))) };
}

const json = (v: unknown) => JSON.stringify(v, null, 2) + '\n';

/** kev: refreshes inputs/kev.json from a kev-data copy and stamps known_exploited on the reviewed records. */
export function runKev(paths: BuilderPaths, from: string, log: (s: string) => void): KevExtract {
  const tree = openInputTree(from);
  const raw = JSON.parse(tree.read('known_exploited_vulnerabilities.json').toString('utf8')) as unknown;
  const extract = kevExtract(parseKevCatalog(raw), reviewedCves(paths.advisories), {
    repository: 'cisagov/kev-data',
    revision: tree.revision,
  });
  fs.mkdirSync(paths.inputs, { recursive: true });
  const { entries, ...meta } = extract;
  fs.writeFileSync(path.join(paths.inputs, 'kev.json'), serializeWithRows(meta, 'entries', entries));
  const dates = new Map(extract.entries.map(([cve, date]) => [cve, date]));
  let changed = 0;
  for (const [name, rec] of readReviewedRecords(paths.advisories))
    if (stampKnownExploited(rec, dates)) {
      fs.writeFileSync(path.join(paths.advisories, name), json(rec));
      changed++;
    }
  log(
    `kev: catalogue ${extract.catalogVersion} (${tree.revision.slice(0, 12)}): ${extract.entries.length} entries kept, ${changed} records stamped`,
  );
  return extract;
}

/** Validates and writes one source file; a source that fails the contract's validation is not written. */
export function writeSource(paths: BuilderPaths, src: DistroFixSource, log: (s: string) => void): void {
  const text = serializeDistroFixSource(src);
  const check = parseDistroFixSource(JSON.parse(text));
  if (!check.ok) throw new Error(`${src.id}: ${check.reason}`);
  fs.mkdirSync(paths.distro, { recursive: true });
  fs.writeFileSync(path.join(paths.distro, `${src.id}.json`), text);
  log(
    `${src.id}: ${src.fixes.length} rows, ${text.length} bytes (revision ${src.revision.slice(0, 12)}, newest record ${src.date})`,
  );
}

/** build: every source whose input is given, offline and deterministic. */
export function runBuild(
  paths: BuilderPaths,
  opts: { alma?: string; rocky?: string },
  log: (s: string) => void,
): void {
  const keep = reviewedCves(paths.advisories);
  const scope = reviewedScope(paths.advisories);
  if (opts.alma) writeSource(paths, inScope(scope, buildAlmaLinux(openInputTree(opts.alma), keep, log)), log);
  if (opts.rocky)
    writeSource(paths, inScope(scope, buildRockyLinux(openInputTree(opts.rocky), keep, log)), log);
  const redhat = readRedHatExtracts(path.join(paths.inputs, 'redhat'));
  if (redhat.length) writeSource(paths, inScope(scope, buildRedHat(redhat, keep)), log);
  const suse = readSuseExtracts(path.join(paths.inputs, 'suse'));
  const suseCves = readSuseCveExtracts(path.join(paths.inputs, 'suse-cves'));
  if (suse.length + suseCves.length) writeSource(paths, inScope(scope, buildSuse(suse, keep, suseCves)), log);
  const changelogs = readChangelogExtracts(path.join(paths.inputs, 'changelogs'));
  const fromChangelogs = (['Debian', 'Ubuntu'] as const).map((d) =>
    buildFromChangelogs(changelogs, d, (c) => keep.has(c)),
  );
  const key = (f: DistroFix) => `${f.cve}\0${f.ecosystem}\0${f.package}`;
  // A tracker's "not fixed yet" or "not decided" is older news than an upload whose changelog names the CVE: the
  // changelog row wins (Ubuntu's tracker leaves CVE-2022-27649 "needs-triage" for noble's libpod, whose 3.4.6+ds1-1
  // changelog names it).
  const named = new Set(fromChangelogs.flatMap((src) => src?.fixes.map(key) ?? []));
  const trackers = [
    buildUbuntuTracker(readUbuntuTrackerExtracts(path.join(paths.inputs, 'ubuntu-tracker')), keep),
    buildDebianTracker(readDebianTrackerExtracts(path.join(paths.inputs, 'debian-tracker')), keep),
  ].map((src) => {
    const t = inScope(scope, src);
    t.fixes = t.fixes.filter(
      (f) => (f.status !== 'unfixed' && f.status !== 'undetermined') || !named.has(key(f)),
    );
    if (t.fixes.length) writeSource(paths, t, log);
    return t;
  });
  // The distributions' trackers decide the keys they give; changelog rows fill the rest.
  const decided = new Set(trackers.flatMap((t) => t.fixes.map(key)));
  for (const src of fromChangelogs) {
    if (!src) continue;
    const fixes = src.fixes.filter((f) => !decided.has(key(f)));
    writeSource(paths, inScope(scope, { ...src, fixes }), log);
  }
  // Where neither a tracker nor a changelog decides, the archive tells whether any fix was released at all; a
  // tracker's "not decided yet" stays beside it (the verdict says both).
  const spoken = new Set([
    ...named,
    ...trackers.flatMap((t) => t.fixes.filter((f) => f.status !== 'undetermined').map(key)),
  ]);
  const noFix = buildArchiveNoFix(
    readArchiveNewestExtracts(path.join(paths.inputs, 'archive-newest')),
    scope,
    spoken,
  );
  if (noFix) writeSource(paths, noFix, log);
}

export async function main(
  argv: string[],
  log: (s: string) => void = (s) => process.stdout.write(s + '\n'),
): Promise<number> {
  const [cmd, ...rest] = argv;
  const opt = (name: string): string | undefined => {
    const i = rest.indexOf(`--${name}`);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const paths = builderPaths(path.resolve(opt('repo') ?? process.cwd()));
  if (cmd === 'kev') {
    const from = opt('from');
    if (!from) throw new Error('kev needs --from KEV_DATA');
    runKev(paths, from, log);
    return 0;
  }
  if (cmd === 'fetch-changelogs') {
    await fetchChangelogs({
      out: path.join(paths.inputs, 'changelogs'),
      cache: opt('cache') ?? defaultDistroCache(),
      keep: reviewedCves(paths.advisories),
      releases: opt('releases')?.split(','),
      packages: opt('packages') ? new RegExp(`^(${opt('packages')})$`) : undefined,
      log,
    });
    return 0;
  }
  if (cmd === 'fetch-archive-newest') {
    await fetchArchiveNewest({
      out: path.join(paths.inputs, 'archive-newest'),
      cache: opt('cache') ?? defaultDistroCache(),
      releases: opt('releases')?.split(',') ?? ARCHIVE_COMPLETE,
      packages: new RegExp(`^(${opt('packages') ?? ARCHIVE_PACKAGES.join('|')})$`),
      today: new Date().toISOString().slice(0, 10),
      log,
    });
    return 0;
  }
  if (cmd === 'build') {
    runBuild(paths, { alma: opt('alma'), rocky: opt('rocky') }, log);
    return 0;
  }
  log(USAGE);
  return cmd === undefined || cmd === '--help' ? 0 : 2;
}
