// Kernel releases: mainline versions by number, distribution kernels by their package version in the vendor's syntax.
import type { KernelFamily } from '../collect/classify-kernel.js';

export interface KernelPackage {
  /** OSV ecosystem family the version belongs to. */
  syntax: 'debian' | 'rpm';
  /** The distribution's source package the running kernel was built from ("linux", "linux-hwe-6.5", "kernel"). */
  source: string;
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
      const rt = /\.rt\d/.test(v) ? 'kernel-rt' : 'kernel';
      return /^\d+\.\d+\.\d+-[\w.]+$/.test(v)
        ? { syntax: 'rpm', source: rt, version: v, evidence: `kernel release ${release}` }
        : null;
    }
    case 'suse': {
      const m = /^(\d+\.\d+\.\d+-[\d.]+)-([a-z0-9]+)$/.exec(release);
      return m
        ? { syntax: 'rpm', source: `kernel-${m[2]}`, version: m[1]!, evidence: `kernel release ${release}` }
        : null;
    }
    case 'ubuntu': {
      // Ubuntu builds each flavour from its own source package: generic from "linux", or from "linux-hwe-X.Y" when
      // the build number carries "~<release>" (a backported kernel); "-oem" from linux-oem-X.Y; "-aws" from linux-aws.
      const r = /^(\d+)\.(\d+)\.\d+-\d+-([a-z0-9-]+)$/.exec(release);
      const b = /#(\d+)(~[\w.]+)?-Ubuntu/.exec(banner);
      if (!r || !b) return null;
      const flavour = r[3]!;
      const series = `${r[1]}.${r[2]}`;
      const source = ['generic', 'lowlatency', 'generic-64k', 'generic-lpae'].includes(flavour)
        ? b[2]
          ? `linux-hwe-${series}`
          : 'linux'
        : flavour === 'oem'
          ? `linux-oem-${series}`
          : `linux-${flavour}`;
      const base = /^(\d+\.\d+\.\d+-\d+)-/.exec(release)![1]!;
      return {
        syntax: 'debian',
        source,
        version: `${base}.${b[1]}${b[2] ?? ''}`,
        evidence: `kernel release ${release} and build #${b[1]}${b[2] ?? ''} in /proc/version`,
      };
    }
    case 'debian': {
      // The banner also names the compiler ("gcc-12 (Debian 12.2.0-14)"): the kernel's package is the last one.
      const all = [...banner.matchAll(/Debian (\d+\.\d+\.\d+-[\w.+~]+)/g)];
      const b = all[all.length - 1];
      return b
        ? {
            syntax: 'debian',
            source: 'linux',
            version: b[1]!,
            evidence: `/proc/version names Debian package ${b[1]}`,
          }
        : null;
    }
    default:
      return null;
  }
}
