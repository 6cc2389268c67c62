// Which distribution package a running kernel came from, and its version: what distribution records fix (pure).
import type { KernelFamily } from './classify-kernel.js';
import { mainlineVersion } from './kernel-version.js';

/** One installed kernel package as a package database lists it. */
export interface KernelPackageEntry {
  /** The binary package: "linux-image-6.1.0-13-amd64", "kernel-core", "kernel-default". */
  name: string;
  /** Debian version, or RPM [epoch:]version-release. */
  version: string;
  /** The source package ("linux-signed-amd64", "kernel"), from dpkg Source: or the RPM's SOURCERPM. */
  sourcePackage?: string;
  /** RPM architecture ("x86_64"); a release string carries it. */
  arch?: string;
  /** Where it was read, for the evidence. */
  from: string;
  /** CVE ids its changelog names with the entry's version (RPM headers carry the changelog). */
  changelogFixes?: string[];
  changelogFrom?: string;
}

export interface KernelPackage {
  /** The distribution's source package the records name: "linux", "linux-hwe-5.15", "kernel", "kernel-default". */
  name: string;
  version: string;
  syntax: 'debian' | 'rpm';
  /**
   * SUSE's release string drops the package's last release number ("4.12.14-122.110-default" is package
   * 4.12.14-122.110.N): the version is then a prefix, and a fix that differs only in N cannot be judged.
   */
  partial: boolean;
  evidence: string;
}

export interface KernelIdentity {
  package: KernelPackage | null;
  /** Why the package is not known: the datum that is missing. */
  missing: string | null;
  /**
   * The upstream version the kernel is built on. `stable` when it names the stable release exactly (Debian's
   * package version, Ubuntu's version_signature, Debian 13's release name), so stable ranges judge it; otherwise
   * only the branch point ("4.18.0" of a RHEL 8 kernel), past which a mainline fix is surely carried.
   */
  base: { version: string; stable: boolean; evidence: string } | null;
}

const RPM_ARCH = /\.(x86_64|aarch64|ppc64le|s390x|i686|noarch)(\+\w+)?$/;

/**
 * Whether an RPM kernel package of version-release `evr` is the running `release`: RHEL's release is the package's
 * version-release and arch ("4.18.0-348.el8_5.x86_64"); SUSE's drops the last release number and adds the
 * flavour ("4.12.14-122.110-default" is 4.12.14-122.110.N).
 */
export function rpmKernelIsRunning(release: string, evr: string): boolean {
  const v = evr.replace(/^\d+:/, '');
  if (release === v || release.startsWith(`${v}.`)) return true;
  const suse = /^(\d+\.\d+\.\d+-[\d.]+)-[a-z0-9]+$/.exec(release);
  return suse !== null && v.startsWith(`${suse[1]}.`) && !v.slice(suse[1]!.length + 1).includes('.');
}

/** "linux-signed-amd64" -> "linux"; "linux-signed-hwe-5.15" -> "linux-hwe-5.15"; "linux-signed-6.1-amd64" -> "linux-6.1". */
export function debianKernelSource(source: string): string {
  return source
    .replace(/^linux-signed(?=-|$)/, 'linux')
    .replace(/-(amd64|arm64|i386|armhf|armel|ppc64el|s390x|riscv64)$/, '');
}

/** "kernel-4.18.0-348.el8.src.rpm" -> "kernel" (name-version-release.src.rpm; the name may hold dashes). */
export function rpmSourceName(sourcerpm: string): string | null {
  const m = /^(.+)-[^-]+-[^-]+\.(?:no)?src\.rpm$/.exec(sourcerpm);
  return m ? m[1]! : null;
}

/**
 * The version token of Debian's /proc/version banner: it follows the build number ("#1 SMP PREEMPT_DYNAMIC
 * Debian 6.1.55-1 (2023-09-29)"). The compiler's "(Debian 10.2.1-6)" comes before the build number and is
 * never taken (issue 12: a Debian 11 banner yielded gcc's version).
 */
function debianBannerVersion(banner: string): string | null {
  const m = /#\d+\s+(?:[A-Z][A-Z0-9_]*\s+)*Debian\s+(\d+\.\d+[\w.+~-]*)/.exec(banner);
  return m ? m[1]! : null;
}

const upstreamOfDebian = (v: string) => /^(?:\d+:)?(\d+\.\d+(?:\.\d+)?)/.exec(v)?.[1] ?? null;

function debianKernel(release: string, banner: string, pkgs: KernelPackageEntry[]): KernelIdentity {
  // Debian 13 and newer backports name the stable release in the ABI: "6.12.38+deb13-amd64", "6.12.12+bpo-amd64".
  const named = /^(\d+\.\d+\.\d+)\+(deb\d+|bpo)/.exec(release);
  const baseFromName = named
    ? { version: named[1]!, stable: true, evidence: `kernel release ${release} names upstream ${named[1]}` }
    : null;
  const img = pkgs.find(
    (p) => p.name === `linux-image-${release}` || p.name === `linux-image-${release}-unsigned`,
  );
  if (img) {
    // A signed image's Version is the kernel source's version ("6.1.55-1"); its Source is linux-signed-<arch>.
    const up = upstreamOfDebian(img.version);
    return {
      package: {
        name: debianKernelSource(img.sourcePackage ?? 'linux'),
        version: img.version,
        syntax: 'debian',
        partial: false,
        evidence: `package ${img.name} ${img.version} (${img.from})`,
      },
      missing: null,
      base: up
        ? { version: up, stable: true, evidence: `Debian package version ${img.version}` }
        : baseFromName,
    };
  }
  const v = debianBannerVersion(banner);
  if (v) {
    const up = upstreamOfDebian(v);
    // Debian 11's 6.1 backport ("6.1.0-0.deb11.13-amd64") is built from linux-6.1, not linux.
    const branch = /^\d+\.\d+\.\d+-0\.deb\d+\./.test(release)
      ? `linux-${/^\d+\.\d+/.exec(release)![0]}`
      : 'linux';
    return {
      package: {
        name: branch,
        version: v,
        syntax: 'debian',
        partial: false,
        evidence: `/proc/version names Debian ${v}`,
      },
      missing: null,
      base: up ? { version: up, stable: true, evidence: `/proc/version names Debian ${v}` } : baseFromName,
    };
  }
  return {
    package: null,
    missing: `the kernel's package version: /proc/version does not name it and no package linux-image-${release} is installed`,
    base: baseFromName,
  };
}

const UBUNTU_GENERIC = ['generic', 'generic-64k', 'generic-lpae'];

function ubuntuKernel(
  release: string,
  banner: string,
  signature: string,
  osVersion: string,
  pkgs: KernelPackageEntry[],
): KernelIdentity {
  // "Ubuntu 5.15.0-91.101~20.04.1-generic 5.15.131": the package version and the upstream stable base (issue 12).
  const sig = /^Ubuntu (\d+\.\d+\.\d+-\d+\.\d+(?:~[\w.]+)?)-[a-z0-9-]+ (\d+\.\d+\.\d+)\s*$/.exec(
    signature.trim(),
  );
  // Without the signature only the branch point is known ("5.15.0" of "5.15.0-91-generic"): past it, a mainline
  // fix is surely carried; Ubuntu's stable updates since cannot be told.
  const point = /^(\d+\.\d+\.\d+)-/.exec(release)?.[1];
  const base = sig
    ? { version: sig[2]!, stable: true, evidence: `/proc/version_signature names upstream ${sig[2]}` }
    : point
      ? { version: point, stable: false, evidence: `kernel release ${release}` }
      : null;
  const img = pkgs.find(
    (p) => p.name === `linux-image-${release}` || p.name === `linux-image-unsigned-${release}`,
  );
  if (img?.sourcePackage)
    return {
      package: {
        name: debianKernelSource(img.sourcePackage),
        version: img.version,
        syntax: 'debian',
        partial: false,
        evidence: `package ${img.name} ${img.version} built from ${img.sourcePackage} (${img.from})`,
      },
      missing: null,
      base,
    };
  // Without dpkg: the build number ("#101~20.04.1-Ubuntu") or the signature gives the version, the flavour
  // and "~" (a kernel backported from a later release) the source package.
  const r = /^(\d+)\.(\d+)\.\d+-(\d+)-([a-z0-9-]+)$/.exec(release);
  const b = /#(\d+)(~[\w.]+)?-Ubuntu/.exec(banner);
  const version = sig ? sig[1]! : r && b ? `${r[1]}.${r[2]}.0-${r[3]}.${b[1]}${b[2] ?? ''}` : null;
  if (!r || !version)
    return {
      package: null,
      missing: `the kernel's package version: neither /proc/version nor /proc/version_signature names the build of ${release}`,
      base,
    };
  const series = `${r[1]}.${r[2]}`;
  const flavour = r[4]!;
  const backport = version.includes('~');
  // 22.04 split lowlatency into its own source package (linux-lowlatency); before it came from linux.
  const lowlatencyOwn = flavour === 'lowlatency' && Number(osVersion.split('.')[0]) >= 22;
  let name: string;
  if (UBUNTU_GENERIC.includes(flavour) || (flavour === 'lowlatency' && !lowlatencyOwn))
    name = backport ? `linux-hwe-${series}` : 'linux';
  else if (flavour === 'lowlatency') name = backport ? `linux-lowlatency-hwe-${series}` : 'linux-lowlatency';
  else if (flavour === 'oem') name = `linux-oem-${series}`;
  else name = backport ? `linux-${flavour}-${series}` : `linux-${flavour}`;
  return {
    package: {
      name,
      version,
      syntax: 'debian',
      partial: false,
      evidence: `kernel release ${release} and ${sig ? '/proc/version_signature' : `build #${b![1]}${b![2] ?? ''} in /proc/version`} (source package inferred from the flavour)`,
    },
    missing: null,
    base,
  };
}

function rpmKernel(
  family: 'rhel' | 'suse' | 'fedora',
  release: string,
  pkgs: KernelPackageEntry[],
): KernelIdentity {
  const baseV = /^(\d+\.\d+\.\d+)/.exec(release)?.[1];
  const base = baseV ? { version: baseV, stable: false, evidence: `kernel release ${release}` } : null;
  const evr = (p: KernelPackageEntry) => p.version.replace(/^\d+:/, '');
  if (family === 'suse') {
    const m = /^(\d+\.\d+\.\d+-[\d.]+)-([a-z0-9]+)$/.exec(release);
    if (!m)
      return { package: null, missing: `kernel release ${release} does not follow SUSE's naming`, base };
    const name = `kernel-${m[2]}`;
    // The installed package whose version-release extends the release string: "4.12.14-122.110" -> "...110.1".
    const own = pkgs.find((p) => p.name === name && evr(p).startsWith(`${m[1]}.`));
    if (own)
      return {
        package: {
          name,
          version: own.version,
          syntax: 'rpm',
          partial: false,
          evidence: `package ${name} ${own.version} (${own.from})`,
        },
        missing: null,
        base,
      };
    return {
      package: {
        name,
        version: m[1]!,
        syntax: 'rpm',
        partial: true,
        evidence: `kernel release ${release} (package ${name} ${m[1]}.N: the last release number is not in the release string)`,
      },
      missing: null,
      base,
    };
  }
  const v = release.replace(RPM_ARCH, '');
  const arch = RPM_ARCH.exec(release)?.[1];
  // kernel-core (EL8+) or kernel (EL7) of exactly this version-release and architecture.
  const own = pkgs.find(
    (p) =>
      /^kernel(-rt)?(-core)?$/.test(p.name) &&
      evr(p) === v &&
      (p.arch === undefined || arch === undefined || p.arch === arch),
  );
  const rt = /\.rt\d/.test(v);
  const source = own?.sourcePackage ?? (rt ? 'kernel-rt' : /uek/.test(v) ? 'kernel-uek' : 'kernel');
  if (!/^\d+\.\d+\.\d+-[\w.]+$/.test(v))
    return {
      package: null,
      missing: `kernel release ${release} does not follow the N.N.N-R.elN naming`,
      base,
    };
  return {
    package: {
      name: source,
      version: own?.version ?? v,
      syntax: 'rpm',
      partial: false,
      evidence: own
        ? `package ${own.name} ${own.version} built from ${source} (${own.from})`
        : `kernel release ${release}`,
    },
    missing: null,
    base,
  };
}

export function identifyKernel(input: {
  family: KernelFamily;
  release: string;
  banner: string;
  /** /proc/version_signature (Ubuntu only). */
  signature: string;
  osVersion: string;
  packages: KernelPackageEntry[];
}): KernelIdentity {
  const { family, release, banner, packages } = input;
  switch (family) {
    case 'debian':
      return debianKernel(release, banner, packages);
    case 'ubuntu':
      return ubuntuKernel(release, banner, input.signature, input.osVersion, packages);
    case 'rhel':
    case 'suse':
    case 'fedora':
      return rpmKernel(family, release, packages);
    default: {
      const v = mainlineVersion(release);
      return {
        package: null,
        missing: null,
        base: v
          ? {
              version: v,
              stable: true,
              evidence: `kernel release ${release} (no distribution marker: self-built)`,
            }
          : null,
      };
    }
  }
}

/**
 * "el8_4" of "4.18.0-305.40.2.el8_4": the RHEL minor-release stream a kernel was built for (EUS/E4S/AUS records).
 * RHEL 7.9's kernels carry a bare "el7": their 3.10.0-1160 line is 7.9's (Red Hat's "Red Hat Enterprise Linux
 * Release Dates", kernel versions table), the one release ELS updates.
 */
export function rhelStream(version: string): { major: string; minor: string } | null {
  const m = /\.el(\d+)_(\d+)(?:\.|$)/.exec(version);
  if (m) return { major: m[1]!, minor: m[2]! };
  return /^3\.10\.0-1160\.(?:.*\.)?el7(?:\.|$)/.test(version) ? { major: '7', minor: '9' } : null;
}
