// Collects installed versions of runtime packages: dpkg status, the RPM database through rpm(8), or a snapshot manifest.
import * as fs from 'node:fs';
import type { HostRoot } from '../host/host-root.js';
import { parseDpkgStatus } from '../parse/dpkg-status.js';
import { runChild } from '../probe/run-child.js';
import { COMPONENTS } from '../runtimes/components.js';
import { RUNTIMES } from '../runtimes/locations.js';

export interface PackageVersion {
  version: string;
  source: string;
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
  for (const [name, version] of parseDpkgStatus(r.text, PACKAGE_NAMES))
    out.set(name, { version, source: `dpkg status (${root.display(p)})` });
  return out;
}

/** Queries the live RPM database read-only; under --root only a snapshot manifest carries RPM versions. */
export async function readRpmPackages(
  root: HostRoot,
  timeoutMs: number,
): Promise<Map<string, PackageVersion>> {
  const out = new Map<string, PackageVersion>();
  if (!root.isLive) return out;
  const rpm = ['/usr/bin/rpm', '/bin/rpm'].find((p) => fs.existsSync(p));
  if (!rpm || !(fs.existsSync('/var/lib/rpm') || fs.existsSync('/usr/lib/sysimage/rpm'))) return out;
  const r = await runChild(
    [rpm, '-q', '--qf', '%{NAME} %|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\\n', ...PACKAGE_NAMES],
    { timeoutMs },
  );
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+) (\S+)$/.exec(line.trim());
    if (m && PACKAGE_NAMES.has(m[1]!)) out.set(m[1]!, { version: m[2]!, source: 'RPM database (rpm -q)' });
  }
  return out;
}

export function manifestPackages(root: HostRoot): Map<string, PackageVersion> {
  const out = new Map<string, PackageVersion>();
  for (const [name, version] of Object.entries(root.manifest?.packages ?? {}))
    out.set(name, { version, source: `package database as recorded in the snapshot manifest` });
  return out;
}
