// Builder step with network (development time only, never tests or CI): reads the Debian and Ubuntu archives'
// package changelogs and keeps, per release and source package, the uploads that name a CVE ctrsafe covers.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { SafeDir } from '../../host/safe-write.js';
import { compareDebian } from '../../version/compare-debian.js';
import { serializeWithRows } from '../distro-fix.js';
import {
  binariesOf,
  parseIndex,
  sourcesOf,
  type BinaryVersion,
  type SourceVersion,
} from './archive-index.js';
import { DEBIAN_RELEASES, UBUNTU_RELEASES } from './ecosystems.js';
import { parseChangelog, type ChangelogEntry } from './package-changelog.js';
import { isKernelSourcePackage, isRelevantSourcePackage } from './relevant-packages.js';

export interface ChangelogExtract {
  schema: 'ctrsafe.changelog-extract/1';
  ecosystem: string;
  package: string;
  license: string;
  /** Every file read: [url, sha256, newest entry, oldest entry]. */
  read: [string, string, string, string][];
  /** Version ranges (newer, older) whose changelog entries no file read holds. */
  gaps: [string, string][];
  /** Entries naming a kept CVE: [version, date, distribution, cves]. */
  entries: [string, string | null, string, string[]][];
}

interface Suite {
  base: string;
  suite: string;
}

interface Release {
  distribution: 'Debian' | 'Ubuntu';
  codename: string;
  ecosystem: string;
  suites: Suite[];
  components: string[];
}

const DEBIAN = 'http://deb.debian.org/debian';
const DEBIAN_SECURITY = 'http://security.debian.org/debian-security';
const UBUNTU = 'http://archive.ubuntu.com/ubuntu';

export const RELEASES: Release[] = [
  ...['bullseye', 'bookworm', 'trixie'].map((c): Release => ({
    distribution: 'Debian',
    codename: c,
    ecosystem: DEBIAN_RELEASES[c]!,
    suites: [
      { base: DEBIAN, suite: c },
      { base: DEBIAN, suite: `${c}-updates` },
      { base: DEBIAN_SECURITY, suite: `${c}-security` },
    ],
    components: ['main', 'contrib'],
  })),
  ...['bionic', 'focal', 'jammy', 'noble'].map((c): Release => ({
    distribution: 'Ubuntu',
    codename: c,
    ecosystem: UBUNTU_RELEASES[c]!,
    suites: ['', '-updates', '-security'].map((s) => ({ base: UBUNTU, suite: `${c}${s}` })),
    components: ['main', 'restricted', 'universe'],
  })),
];

const LICENSE = {
  Debian: 'facts (versions, dates, CVE ids) from the packages’ debian/changelog in the Debian archive',
  Ubuntu: 'facts (versions, dates, CVE ids) from the packages’ changelogs in the Ubuntu archive',
};

/** Where the builder keeps what it downloaded: the user's own cache, never a fixed name in /tmp. */
export function defaultDistroCache(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'ctrsafe', 'distro-cache');
}

/** Archive files are read whole; the largest (kernel image packages, Packages.xz) are well below this. */
const MAX_CACHED = 1024 * 1024 * 1024;

/**
 * Downloads, cached by URL in a directory nobody else can write (SafeDir): what the cache holds decides the shipped
 * data, so a directory another user could fill (as a fixed /tmp name could be) would let them choose it, and a
 * link planted there would be written through.
 */
export class Fetcher {
  readonly dir: SafeDir;
  constructor(readonly cache: string) {
    this.dir = SafeDir.open(cache, { create: 0o700 });
  }
  /** The body, or null on 404; cached by URL. */
  async get(url: string): Promise<Buffer | null> {
    const key = cacheKey(url);
    const cached = this.dir.readFile(key, MAX_CACHED);
    if (cached) return cached;
    if (this.dir.readFile(`${key}.404`, 0)) return null;
    const buf = await download(url);
    // Written outside the retries: a local failure (ENOSPC, EACCES) is said at once, not downloaded twice more.
    if (buf === null) this.dir.writeFile(`${key}.404`, '', 0o600);
    else this.dir.writeFile(key, buf, 0o600);
    return buf;
  }

  /** READ given a descriptor of URL's cached body (once get has fetched it), closed afterwards; null if not cached. */
  withCached<T>(url: string, read: (fd: number) => T): T | null {
    const fd = this.dir.openFile(cacheKey(url));
    if (fd === null) return null;
    try {
      return read(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** URL's body, or null on 404; three tries for anything else the network or server does wrong. */
async function download(url: string): Promise<Buffer | null> {
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(300_000) });
      if (r.status === 404) return null;
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return Buffer.from(await r.arrayBuffer());
    } catch (e) {
      if (attempt >= 2) throw new Error(`${url}: ${(e as Error).message}`);
    }
  }
}

const cacheKey = (url: string) => createHash('sha256').update(url).digest('hex');

function run(cmd: string, args: string[], input?: Buffer): Buffer | null {
  const r = spawnSync(cmd, args, { input, maxBuffer: 512 * 1024 * 1024 });
  return r.status === 0 ? r.stdout : null;
}

export function decompressIndex(buf: Buffer, name: string): string {
  if (name.endsWith('.gz')) return gunzipSync(buf).toString('utf8');
  const out = run('xz', ['-dc'], buf);
  if (!out) throw new Error(`${name}: xz failed`);
  return out.toString('utf8');
}

export async function readIndexes(f: Fetcher, rel: Release, kind: 'source' | 'binary-amd64') {
  const sources: (SourceVersion & { base: string })[] = [];
  const binaries: (BinaryVersion & { base: string })[] = [];
  for (const s of rel.suites)
    for (const c of rel.components) {
      const dir = `${s.base}/dists/${s.suite}/${c}/${kind}`;
      const names = kind === 'source' ? ['Sources.xz', 'Sources.gz'] : ['Packages.xz', 'Packages.gz'];
      for (const n of names) {
        const buf = await f.get(`${dir}/${n}`);
        if (!buf) continue;
        const stanzas = parseIndex(decompressIndex(buf, n));
        if (kind === 'source') sources.push(...sourcesOf(stanzas).map((x) => ({ ...x, base: s.base })));
        else binaries.push(...binariesOf(stanzas).map((x) => ({ ...x, base: s.base })));
        break;
      }
    }
  return { sources, binaries };
}

export const byVersionDesc = (a: { version: string }, b: { version: string }) =>
  compareDebian(b.version, a.version) ?? 0;

/** debian/changelog of a source package: from its .debian.tar.xz, its .diff.gz (the package's own hunk), or a native tarball. */
export function changelogFromSource(file: string, buf: Buffer, pkg: string): string | null {
  if (file.endsWith('.debian.tar.xz') || file.endsWith('.debian.tar.gz')) {
    const out = run('tar', [file.endsWith('.xz') ? '-xJO' : '-xzO', '-f', '-', 'debian/changelog'], buf);
    return out ? out.toString('utf8') : null;
  }
  if (file.endsWith('.diff.gz')) {
    const diff = gunzipSync(buf, { maxOutputLength: 1024 ** 3 }).toString('utf8');
    // Ubuntu kernels keep each flavour's changelog in debian.<flavour>/changelog: take the hunk that starts with this package.
    const hunks = diff.split(/^\+\+\+ /m).slice(1);
    for (const h of hunks) {
      const name = h.slice(0, h.indexOf('\n')).split(/\s/)[0]!;
      if (!/\/debian(\.[^/]+)?\/changelog$/.test(name)) continue;
      const body = h
        .split('\n')
        .slice(2)
        .filter((l) => l.startsWith('+'))
        .map((l) => l.slice(1))
        .join('\n');
      if (body.startsWith(`${pkg} (`)) return body;
    }
    return null;
  }
  return null;
}

/**
 * The changelog.Debian.gz of the .deb open at DEB, or null when it is not a .deb or holds none. dpkg-deb seeks in
 * its input, so it is handed the file itself, as its descriptor 3 (/proc/self/fd/3 is its own, in any PID
 * namespace and whatever /proc/<our pid> allows it): no second copy of a kernel package is written to read it. Its
 * data archive streams through tar, which keeps only the changelog: a package's whole tree (linux-firmware's is
 * gigabytes) is never held in memory.
 */
export function changelogFromDeb(deb: number): string | null {
  // Each command's own status (PIPESTATUS): a missing dpkg-deb or tar is an error (127), where pipefail would have
  // passed on tar's status and read as "no changelog". BASH_ENV and ENV, which a non-interactive bash would run,
  // are dropped.
  const script =
    'dpkg-deb --fsys-tarfile /proc/self/fd/3 | tar -xO --wildcards "./usr/share/doc/*/changelog.Debian.gz"; ' +
    'p=("${PIPESTATUS[@]}"); [ "${p[0]}" = 127 ] || [ "${p[1]}" = 127 ] && exit 127; [ "${p[0]}${p[1]}" = 00 ]';
  const env = { ...process.env };
  delete env.BASH_ENV;
  delete env.ENV;
  const r = spawnSync('bash', ['-c', script], {
    stdio: ['ignore', 'pipe', 'pipe', deb],
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new Error(`dpkg-deb | tar: ${r.error.message}`);
  if (r.status === 127) throw new Error(`dpkg-deb | tar: ${r.stderr.toString('utf8').trim().split('\n')[0]}`);
  return r.status === 0 && r.stdout.length > 0
    ? gunzipSync(r.stdout, { maxOutputLength: 256 * 1024 * 1024 }).toString('utf8')
    : null;
}

interface History {
  entries: ChangelogEntry[];
  read: [string, string, string, string][];
  gaps: [string, string][];
}

function addRead(h: History, url: string, buf: Buffer, entries: ChangelogEntry[]): void {
  h.read.push([
    url,
    createHash('sha256').update(buf).digest('hex'),
    entries[0]?.version ?? '',
    entries.at(-1)?.version ?? '',
  ]);
  const have = new Set(h.entries.map((e) => e.version));
  h.entries.push(...entries.filter((e) => !have.has(e.version)));
}

/** The newest source package of `pkg` the archive still serves, with its whole changelog. */
async function newestSourceChangelog(
  f: Fetcher,
  versions: (SourceVersion & { base: string })[],
  pkg: string,
  h: History,
) {
  for (const v of [...versions].sort(byVersionDesc)) {
    const file = v.files.find((x) => /\.(debian\.tar\.[xg]z|diff\.gz)$/.test(x));
    if (!file) continue;
    const url = `${v.base}/${v.directory}/${file}`;
    const buf = await f.get(url);
    if (!buf) continue;
    const text = changelogFromSource(file, buf, pkg);
    if (!text) continue;
    addRead(h, url, buf, parseChangelog(text));
    return v.version;
  }
  return null;
}

/** The ABI part of an Ubuntu kernel version: "5.15.0-91.101~20.04.1" → "5.15.0-91". */
const abiOf = (v: string) => /^\d+\.\d+\.\d+-\d+/.exec(v)?.[0];

/**
 * Ubuntu's kernel binaries carry the last ten uploads of their changelog and the archive keeps older ABIs, so the
 * history is chained from the newest build down to `stop` (the newest source the archive serves, whose changelog
 * is whole): each step reads the binary of the oldest upload seen so far, found in the index or, for ABIs the
 * index no longer lists, at the pool path the ABI gives. Security respins (5.15.0-101.111 fixed CVE-2024-1086 on
 * a branch the next upload's changelog does not show) are read too: every listed version whose upload no
 * changelog read holds. Versions nothing covers are recorded as gaps.
 */
async function chainBinaryChangelogs(
  f: Fetcher,
  binaries: (BinaryVersion & { base: string })[],
  newest: string,
  stop: string | null,
  h: History,
): Promise<void> {
  // One binary per source version: the smallest, preferring linux-buildinfo-* (a real changelog, ~0.6 MB).
  const perVersion = new Map<string, BinaryVersion & { base: string }>();
  const rank = (x: BinaryVersion) => (/^linux-buildinfo-/.test(x.package) ? 0 : 1) * 1e12 + x.size;
  for (const b of binaries) {
    const cur = perVersion.get(b.sourceVersion);
    if (!cur || rank(b) < rank(cur)) perVersion.set(b.sourceVersion, b);
  }
  const template = perVersion.get(newest) ?? [...perVersion.values()][0];
  const urlFor = (v: string): string | null => {
    const b = perVersion.get(v);
    if (b) return `${b.base}/${b.filename}`;
    const [oldAbi, newAbi] = [abiOf(template?.sourceVersion ?? ''), abiOf(v)];
    if (!template || !oldAbi || !newAbi) return null;
    return `${template.base}/${template.filename.split(oldAbi).join(newAbi).split(template.sourceVersion).join(v)}`;
  };
  const tried = new Set<string>();
  const readVersion = async (v: string): Promise<boolean> => {
    if (tried.has(v)) return false;
    tried.add(v);
    const url = urlFor(v);
    const buf = url ? await f.get(url) : null;
    const text = url && buf ? f.withCached(url, changelogFromDeb) : null;
    if (!url || !buf || !text) return false;
    addRead(h, url, buf, parseChangelog(text));
    return true;
  };
  const below = (a: string, b: string) => (compareDebian(a, b) ?? 0) < 0;
  if (!h.entries.some((e) => e.version === newest) && !(await readVersion(newest))) return;
  for (;;) {
    const seen = h.entries.map((e) => e.version).sort((a, b) => compareDebian(a, b) ?? 0);
    const oldest = seen[0]!;
    if (stop && !below(stop, oldest)) break;
    // Oldest first: the furthest step back that the archive still serves.
    let stepped = false;
    for (const v of seen)
      if (await readVersion(v)) {
        stepped = true;
        break;
      }
    if (
      stepped &&
      below(h.entries.map((e) => e.version).sort((a, b) => compareDebian(a, b) ?? 0)[0]!, oldest)
    )
      continue;
    const next = [...perVersion.keys()]
      .filter((v) => below(v, oldest) && (!stop || below(stop, v)))
      .sort((a, b) => compareDebian(b, a) ?? 0)[0];
    h.gaps.push([oldest, next ?? stop ?? '0']);
    if (!next || !(await readVersion(next))) break;
  }
  const have = new Set(h.entries.map((e) => e.version));
  for (const v of [...perVersion.keys()].sort((a, b) => compareDebian(b, a) ?? 0))
    if (!have.has(v)) await readVersion(v);
}

/** The changelog of the newest binary build the archive serves (smallest package first). */
async function newestBinaryChangelog(
  f: Fetcher,
  binaries: (BinaryVersion & { base: string })[],
  h: History,
): Promise<void> {
  const sorted = [...binaries].sort(
    (a, b) => (compareDebian(b.sourceVersion, a.sourceVersion) ?? 0) || a.size - b.size,
  );
  for (const b of sorted.slice(0, 8)) {
    const url = `${b.base}/${b.filename}`;
    const buf = await f.get(url);
    const text = buf ? f.withCached(url, changelogFromDeb) : null;
    if (buf && text) {
      addRead(h, url, buf, parseChangelog(text));
      return;
    }
  }
}

export async function fetchChangelogs(opts: {
  out: string;
  cache: string;
  keep: ReadonlySet<string>;
  releases?: string[];
  packages?: RegExp;
  log: (s: string) => void;
}): Promise<void> {
  const f = new Fetcher(opts.cache);
  fs.mkdirSync(opts.out, { recursive: true });
  for (const rel of RELEASES.filter((r) => !opts.releases || opts.releases.includes(r.codename))) {
    const { sources } = await readIndexes(f, rel, 'source');
    const binaries =
      rel.distribution === 'Ubuntu' ? (await readIndexes(f, rel, 'binary-amd64')).binaries : [];
    let debianBinaries: (BinaryVersion & { base: string })[] | undefined;
    const pkgs = [...new Set(sources.map((s) => s.package))]
      .filter((p) => isRelevantSourcePackage(p) && (!opts.packages || opts.packages.test(p)))
      .sort();
    for (const pkg of pkgs) {
      const versions = sources.filter((s) => s.package === pkg);
      const newest = [...versions].sort(byVersionDesc)[0]!.version;
      const h: History = { entries: [], read: [], gaps: [] };
      const fromSource = await newestSourceChangelog(f, versions, pkg, h);
      // Ubuntu kernels: also when the newest source is served, for the security respins its changelog does not hold.
      const behind = !fromSource || (compareDebian(fromSource, newest) ?? 0) < 0;
      if (rel.distribution === 'Ubuntu' && (behind || isKernelSourcePackage(pkg))) {
        const own = binaries.filter(
          (b) => b.source === pkg && (!isKernelSourcePackage(pkg) || /\d+\.\d+\.\d+-\d+/.test(b.package)),
        );
        await chainBinaryChangelogs(f, own, newest, fromSource, h);
      }
      if (rel.distribution === 'Debian' && !fromSource) {
        // A mirror may hold the binaries but not the source: Debian's binaries carry the whole changelog.
        debianBinaries ??= (await readIndexes(f, rel, 'binary-amd64')).binaries;
        await newestBinaryChangelog(
          f,
          debianBinaries.filter((b) => b.source === pkg),
          h,
        );
      }
      if (h.read.length === 0) {
        opts.log(`${rel.ecosystem} ${pkg}: no changelog the archive serves (newest ${newest})`);
        continue;
      }
      const entries = h.entries
        .filter((e) => e.cves.some((c) => opts.keep.has(c)))
        .sort(byVersionDesc)
        .map((e): ChangelogExtract['entries'][number] => [
          e.version,
          e.date,
          e.distribution,
          e.cves.filter((c) => opts.keep.has(c)),
        ]);
      const extract: Omit<ChangelogExtract, 'entries'> = {
        schema: 'ctrsafe.changelog-extract/1',
        ecosystem: rel.ecosystem,
        package: pkg,
        license: LICENSE[rel.distribution],
        read: h.read,
        gaps: h.gaps,
      };
      const name = `${rel.distribution.toLowerCase()}-${rel.codename}-${pkg}.json`;
      fs.writeFileSync(path.join(opts.out, name), serializeWithRows(extract, 'entries', entries));
      opts.log(
        `${rel.ecosystem} ${pkg}: ${h.read.length} files, ${h.entries.length} uploads, ${entries.length} naming kept CVEs, ${h.gaps.length} gaps`,
      );
    }
  }
}
