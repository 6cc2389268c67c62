// Collects installed package versions: dpkg status, the RPM database (ctrsafe's own readers), or a snapshot manifest.
import { gunzipSync } from 'node:zlib';
import type { HostRoot } from '../host/host-root.js';
import { changelogFacts, debianChangelogCves, rpmChangelogCves } from '../parse/changelog-cves.js';
import { parseDpkgStatus, type DpkgPackage } from '../parse/dpkg-status.js';
import { COMPONENTS } from '../runtimes/components.js';
import { RUNTIMES } from '../runtimes/locations.js';
import type { KernelPackageEntry } from '../version/kernel-package.js';
import { rpmKernelIsRunning, rpmSourceName } from '../version/kernel-package.js';
import { fileIdentity, setDigest, type FactCache } from '../host/fact-cache.js';
import { readRpmDatabase } from './read-rpmdb.js';

export interface PackageVersion {
  version: string;
  /** Where the version was read: "dpkg status (/var/lib/dpkg/status)", "RPM database ...". */
  source: string;
  /** The distribution source package it was built from (dpkg "Source:", the RPM's SOURCERPM). */
  sourcePackage?: string;
  /** CVE ids the package's own changelog names, with the entry's version: "CVE-2023-0778 4.3.1+ds1-7". */
  changelogFixes?: string[];
  /** Where that changelog was read. */
  changelogFrom?: string;
}

export interface InstalledPackages {
  byName: Map<string, PackageVersion>;
  /** Every installed kernel package (several kernels may be installed; the running one is picked later). */
  kernels: KernelPackageEntry[];
  /** Databases that exist but could not be read: shown, so versions never vanish silently. */
  problems: string[];
  /** Where the package database was read, or null when the host has none that ctrsafe reads. */
  from: string | null;
}

export const PACKAGE_NAMES = new Set([
  ...Object.values(RUNTIMES).flatMap((r) => r.packages),
  ...COMPONENTS.flatMap((c) => c.packages),
  'uidmap',
  'shadow-utils',
  'shadow',
  'fuse3',
  'fuse',
  'bubblewrap',
  'runc',
  'crun',
  'squashfuse',
  'fuse-overlayfs',
]);

/** RPM kernel packages: kernel-core (EL8+), kernel (EL7), kernel-rt, SUSE's kernel-<flavour>, Oracle's UEK. */
export const RPM_KERNEL_NAMES = [
  'kernel',
  'kernel-core',
  'kernel-rt',
  'kernel-rt-core',
  'kernel-default',
  'kernel-azure',
  'kernel-64kb',
  'kernel-preempt',
  'kernel-kvmsmall',
  'kernel-uek',
  'kernel-uek-core',
];

const isDebianKernel = (n: string) => n.startsWith('linux-image-');
const MAX_CHANGELOG = 16 * 1024 * 1024;

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * The CVE facts of one changelog (changelog.Debian.gz, or changelog.gz for the kernel image), bounded: 'absent' when
 * it cannot be read (the next name is tried), 'damaged' when it is not gzip or inflates past 16 MiB (no evidence,
 * never an error, and no other changelog stands in for it).
 */
function changelogFixes(
  root: HostRoot,
  p: string,
  cves: ReadonlySet<string>,
): string[] | 'absent' | 'damaged' {
  const r = root.readBytes(p, 4 * 1024 * 1024);
  if (!r.ok || r.truncated) return 'absent';
  try {
    const text = gunzipSync(r.data, { maxOutputLength: MAX_CHANGELOG }).toString('utf8');
    return changelogFacts(debianChangelogCves(text, cves));
  } catch {
    return 'damaged';
  }
}

/**
 * A Debian changelog of one package. Inflating and scanning it is most of this reader's time, and its answer
 * changes only with the file or the CVE ids searched for: both are the cache key.
 */
function debianChangelog(
  root: HostRoot,
  pkg: string,
  cves: ReadonlySet<string>,
  cache: FactCache,
  cvesKey: string,
): { changelogFixes: string[]; changelogFrom: string } | undefined {
  if (cves.size === 0) return undefined;
  for (const name of ['changelog.Debian.gz', 'changelog.gz']) {
    const p = `/usr/share/doc/${pkg}/${name}`;
    const st = root.liveStat(p);
    const key = st ? `${fileIdentity(st)} ${cvesKey}` : null;
    const hit = key ? cache.get(`changelog ${p}`, key, isStrings) : undefined;
    const fixes = hit ?? changelogFixes(root, p, cves);
    if (fixes === 'absent') continue;
    if (fixes === 'damaged') return undefined;
    if (key && !hit) cache.set(`changelog ${p}`, key, fixes);
    return { changelogFixes: fixes, changelogFrom: root.display(p) };
  }
  return undefined;
}

type DpkgRows = [string, DpkgPackage][];
const isDpkgRows = (v: unknown): v is DpkgRows =>
  Array.isArray(v) &&
  v.every(
    (r) =>
      Array.isArray(r) &&
      typeof r[0] === 'string' &&
      typeof r[1] === 'object' &&
      r[1] !== null &&
      typeof (r[1] as DpkgPackage).version === 'string' &&
      typeof (r[1] as DpkgPackage).source === 'string',
  );

/** The wanted packages of dpkg's status file, parsed, or why not; from the cache while the file is the same. */
function dpkgRows(root: HostRoot, p: string, cache: FactCache): DpkgRows | { problem: string | null } {
  const st = root.liveStat(p);
  const key = st ? fileIdentity(st) : null;
  const hit = key ? cache.get('dpkg status', key, isDpkgRows) : undefined;
  if (hit) return hit;
  const r = root.readBytes(p, 64 * 1024 * 1024);
  if (!r.ok) return { problem: r.missing ? null : `${root.display(p)}: ${r.reason}` };
  if (r.data.includes(0) || r.truncated)
    return { problem: `${root.display(p)}: ${r.truncated ? 'larger than 64 MiB' : 'not text'}` };
  // Decoded as latin1, one byte per character: the fields read here are ASCII (Debian Policy 5.6.1 Source, 5.6.7
  // Package, 5.6.12 Version; Status holds dpkg's own words), and only descriptions and maintainers' names carry UTF-8,
  // which no check reads. UTF-8 decoding was most of this reader's time on every check (issue 16).
  const rows = [
    ...parseDpkgStatus(r.data.toString('latin1'), (n) => PACKAGE_NAMES.has(n) || isDebianKernel(n)),
  ];
  if (key) cache.set('dpkg status', key, rows);
  return rows;
}

export function readDpkgPackages(
  root: HostRoot,
  cves: ReadonlySet<string>,
): { byName: Map<string, PackageVersion>; kernels: KernelPackageEntry[]; problem: string | null } {
  const cache = root.factCache;
  const byName = new Map<string, PackageVersion>();
  const kernels: KernelPackageEntry[] = [];
  const p = '/var/lib/dpkg/status';
  const rows = dpkgRows(root, p, cache);
  if (!Array.isArray(rows)) return { byName, kernels, problem: rows.problem };
  const from = `dpkg status (${root.display(p)})`;
  // Part of a changelog's cache key; nothing is cached in a tree, so nothing to digest there.
  const cvesKey = root.isLive ? setDigest(cves) : '';
  for (const [name, v] of rows) {
    if (isDebianKernel(name)) {
      kernels.push({ name, version: v.version, sourcePackage: v.source, from });
      continue;
    }
    const fixes = debianChangelog(root, name, cves, cache, cvesKey);
    byName.set(name, {
      version: v.version,
      source: from,
      sourcePackage: v.source,
      ...fixes,
    });
  }
  // The kernel image's changelog is not read: Debian's runs to 4 MiB of text (about 40 ms to inflate and scan on
  // every check), and the distribution data is built from those same changelogs (the lowest upload naming each CVE).
  return { byName, kernels, problem: null };
}

/** The RPM database through ctrsafe's own readers: rpm(8) never runs on a tree's files (issue 13). */
export function readRpmPackages(
  root: HostRoot,
  release: string | null,
  cves: ReadonlySet<string>,
): {
  byName: Map<string, PackageVersion>;
  kernels: KernelPackageEntry[];
  problem: string | null;
  from: string | null;
} {
  const byName = new Map<string, PackageVersion>();
  const kernels: KernelPackageEntry[] = [];
  const kernelNames = new Set(RPM_KERNEL_NAMES);
  // Changelogs only where they may decide: the runtime packages, and of the kernels the running one only.
  const r = readRpmDatabase(
    root,
    [...PACKAGE_NAMES, ...RPM_KERNEL_NAMES],
    (h) =>
      cves.size > 0 && (!kernelNames.has(h.name) || (release !== null && rpmKernelIsRunning(release, h.evr))),
  );
  if (r.kind === 'none') return { byName, kernels, problem: null, from: null };
  if (r.kind === 'problem') return { byName, kernels, problem: r.problem, from: r.from };
  const from = `RPM database ${r.from}`;
  for (const p of r.packages) {
    const src = p.sourcerpm ? rpmSourceName(p.sourcerpm) : null;
    const fixes =
      p.changelog.length > 0
        ? {
            changelogFixes: changelogFacts(rpmChangelogCves(p.changelog, cves)),
            changelogFrom: `the %changelog of ${p.name} ${p.evr} in ${r.from}`,
          }
        : {};
    if (kernelNames.has(p.name)) {
      kernels.push({
        name: p.name,
        version: p.evr,
        ...(src ? { sourcePackage: src } : {}),
        ...(p.arch ? { arch: p.arch } : {}),
        from,
        ...fixes,
      });
      continue;
    }
    byName.set(p.name, {
      version: p.evr,
      source: from,
      ...(src ? { sourcePackage: src } : {}),
      ...fixes,
    });
  }
  return { byName, kernels, problem: null, from };
}

export function manifestPackages(root: HostRoot): Map<string, PackageVersion> {
  const out = new Map<string, PackageVersion>();
  for (const [name, version] of Object.entries(root.manifest?.packages ?? {}))
    out.set(name, { version, source: `package database as recorded in the snapshot manifest` });
  return out;
}
