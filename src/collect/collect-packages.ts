// Collects installed versions of runtime packages: dpkg status, the RPM database through rpm(8), or a snapshot manifest.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { HostRoot } from '../host/host-root.js';
import { parseDpkgStatus } from '../parse/dpkg-status.js';
import { runChild } from '../probe/run-child.js';
import { COMPONENTS } from '../runtimes/components.js';
import { RUNTIMES } from '../runtimes/locations.js';

export interface PackageVersion {
  version: string;
  /** Where the version was read: "dpkg status (/var/lib/dpkg/status)", "RPM database ...". */
  source: string;
  /** The distribution source package it was built from, when the database says (dpkg "Source:"). */
  sourcePackage?: string;
  /** dpkg's Maintainer field: tells a vendor's own build from the distribution's. */
  maintainer?: string;
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

export function readDpkgPackages(root: HostRoot): Map<string, PackageVersion> {
  const out = new Map<string, PackageVersion>();
  const p = '/var/lib/dpkg/status';
  const r = root.readText(p, 64 * 1024 * 1024);
  if (!r.ok || r.binary || r.truncated) return out;
  for (const [name, v] of parseDpkgStatus(r.text, PACKAGE_NAMES))
    out.set(name, {
      version: v.version,
      source: `dpkg status (${root.display(p)})`,
      sourcePackage: v.source,
      ...(v.maintainer ? { maintainer: v.maintainer } : {}),
    });
  return out;
}

const RPM_DB_DIRS = ['/var/lib/rpm', '/usr/lib/sysimage/rpm'];
const RPM_DB_FILE =
  /^(rpmdb\.sqlite(-wal|-shm)?|Packages|Name|Providename|Basenames|Dirnames|Sha1header|Sigmd5|Installtid|Requirename|Group|Conflictname|Obsoletename|Triggername|__db\.\d+)$/;
const MAX_RPM_DB_BYTES = 512 * 1024 * 1024;

/**
 * Copies a tree's RPM database to a private temporary directory: rpm(8) takes a lock and opens SQLite
 * journals even for queries, and ctrsafe never writes into the tree it checks.
 */
/** The directory that holds an RPM database (rpmdb.sqlite on RHEL 9, Berkeley DB "Packages" before), and its files. */
function findRpmDb(root: HostRoot): { dir: string; names: string[] } | null {
  for (const d of RPM_DB_DIRS) {
    const l = root.list(d, 256);
    if (!l.ok) continue;
    const names = l.names.filter((n) => RPM_DB_FILE.test(n));
    if (names.some((n) => n === 'rpmdb.sqlite' || n === 'Packages')) return { dir: d, names };
  }
  return null;
}

function copyRpmDb(root: HostRoot): { tmp: string; from: string } | null {
  const found = findRpmDb(root);
  if (found) {
    const { dir: d, names } = found;
    let total = 0;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ctrsafe-rpmdb-'));
    for (const n of names) {
      const r = root.readBytes(`${d}/${n}`, MAX_RPM_DB_BYTES, false);
      total += r.ok ? r.data.length : 0;
      if (!r.ok || r.truncated || total > MAX_RPM_DB_BYTES) {
        fs.rmSync(tmp, { recursive: true, force: true });
        return null;
      }
      fs.writeFileSync(path.join(tmp, n), r.data);
    }
    return { tmp, from: root.display(d) };
  }
  return null;
}

/** Queries the RPM database read-only: the live one in place, a tree's through a private copy. */
export async function readRpmPackages(
  root: HostRoot,
  timeoutMs: number,
): Promise<Map<string, PackageVersion>> {
  const out = new Map<string, PackageVersion>();
  const rpm = ['/usr/bin/rpm', '/bin/rpm'].find((p) => fs.existsSync(p));
  if (!rpm) return out;
  let dbArgs: string[] = [];
  let source = 'RPM database (rpm -q)';
  let cleanup = () => {};
  if (!root.isLive) {
    const copy = copyRpmDb(root);
    if (!copy) return out;
    dbArgs = ['--dbpath', copy.tmp];
    source = `RPM database ${copy.from} (read from a private copy)`;
    cleanup = () => fs.rmSync(copy.tmp, { recursive: true, force: true });
  } else if (!findRpmDb(root)) return out; // Debian hosts with the rpm tool installed have an empty /var/lib/rpm
  try {
    const r = await runChild(
      [
        rpm,
        ...dbArgs,
        '-q',
        '--qf',
        '%{NAME} %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\n',
        ...PACKAGE_NAMES,
      ],
      { timeoutMs },
    );
    for (const line of r.stdout.split('\n')) {
      const m = /^(\S+) (\S+)$/.exec(line.trim());
      if (m && PACKAGE_NAMES.has(m[1]!)) out.set(m[1]!, { version: m[2]!, source });
    }
  } finally {
    cleanup();
  }
  return out;
}

export function manifestPackages(root: HostRoot): Map<string, PackageVersion> {
  const out = new Map<string, PackageVersion>();
  for (const [name, version] of Object.entries(root.manifest?.packages ?? {}))
    out.set(name, { version, source: `package database as recorded in the snapshot manifest` });
  return out;
}
