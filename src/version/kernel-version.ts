// Kernel releases: mainline versions by number, distribution kernels by their package version in the vendor's syntax.
import type { KernelFamily } from '../collect/classify-kernel.js';

export interface KernelPackage {
  /** OSV ecosystem family the version belongs to. */
  syntax: 'debian' | 'rpm';
  version: string;
  evidence: string;
}

/** "6.1.76" or "6.1.0-13-amd64" -> "6.1.76" / "6.1.0": the mainline part only, for mainline kernels. */
export function mainlineVersion(release: string): string | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  return m ? `${m[1]}.${m[2]}.${m[3] ?? 0}` : null;
}

/**
 * The distribution package version a running kernel came from, which is what distribution advisories fix:
 * RHEL "4.18.0-348.20.1.el8_5.x86_64" -> 4.18.0-348.20.1.el8_5 (rpm); SUSE "5.14.21-150500.55.39-default" ->
 * 5.14.21-150500.55.39 (rpm); Ubuntu "5.15.0-91-generic" with banner "#101-Ubuntu" -> 5.15.0-91.101 (deb);
 * Debian banner "Debian 6.1.76-1" -> 6.1.76-1 (deb).
 */
export function kernelPackageVersion(
  family: KernelFamily,
  release: string,
  banner: string,
): KernelPackage | null {
  switch (family) {
    case 'rhel':
    case 'fedora': {
      const v = release.replace(/\.(x86_64|aarch64|ppc64le|s390x|i686|noarch)(\+\w+)?$/, '');
      return /^\d+\.\d+\.\d+-[\w.]+$/.test(v)
        ? { syntax: 'rpm', version: v, evidence: `kernel release ${release}` }
        : null;
    }
    case 'suse': {
      const m = /^(\d+\.\d+\.\d+-[\d.]+)-[a-z0-9]+$/.exec(release);
      return m ? { syntax: 'rpm', version: m[1]!, evidence: `kernel release ${release}` } : null;
    }
    case 'ubuntu': {
      const r = /^(\d+\.\d+\.\d+-\d+)-/.exec(release);
      const b = /#(\d+)(?:~[\w.]+)?-Ubuntu/.exec(banner);
      return r && b
        ? {
            syntax: 'debian',
            version: `${r[1]}.${b[1]}`,
            evidence: `kernel release ${release} and build #${b[1]} in /proc/version`,
          }
        : null;
    }
    case 'debian': {
      // The banner also names the compiler ("gcc-12 (Debian 12.2.0-14)"): the kernel's package is the last one.
      const all = [...banner.matchAll(/Debian (\d+\.\d+\.\d+-[\w.+~]+)/g)];
      const b = all[all.length - 1];
      return b
        ? { syntax: 'debian', version: b[1]!, evidence: `/proc/version names Debian package ${b[1]}` }
        : null;
    }
    default:
      return null;
  }
}
