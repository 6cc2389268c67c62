// Tells a distribution kernel from a mainline one by its release string and /proc/version banner.

export type KernelFamily = 'rhel' | 'suse' | 'ubuntu' | 'debian' | 'fedora' | 'mainline';

/**
 * Distribution kernels backport fixes and features without changing the base version, so ctrsafe must
 * never judge them by the base version alone. Patterns follow each vendor's release naming:
 * RHEL "3.10.0-1160.el7.x86_64", SUSE "5.14.21-150500.55.39-default", Ubuntu "5.15.0-91-generic",
 * Debian "6.1.0-13-amd64" and "6.12.38+deb13-amd64", Fedora "6.5.6-300.fc39.x86_64".
 */
export function classifyKernel(release: string, banner: string): { family: KernelFamily; evidence: string } {
  if (/\.el\d+(_\d+)?(\.|$)/.test(release))
    return { family: 'rhel', evidence: `release ${release} carries an .elN tag` };
  if (/\.fc\d+(\.|$)/.test(release))
    return { family: 'fedora', evidence: `release ${release} carries an .fcN tag` };
  if (
    /-default$/.test(release) ||
    (/-(azure|rt|kvmsmall|64kb|preempt)$/.test(release) && /SUSE/.test(banner))
  )
    return { family: 'suse', evidence: `release ${release} follows SUSE's N.N.N-R-flavour naming` };
  if (/^\d+\.\d+\.0-\d+-[a-z0-9-]+$/.test(release) && /#\d+(~[\w.]+)?-Ubuntu/.test(banner))
    return { family: 'ubuntu', evidence: `release ${release} and the banner's Ubuntu build number` };
  if (
    /^\d+\.\d+\.0-\d+-(generic|lowlatency|aws|azure|gcp|gke|oracle|kvm|ibm|nvidia|raspi|realtime|generic-64k|generic-lpae)$/.test(
      release,
    )
  )
    return { family: 'ubuntu', evidence: `release ${release} follows Ubuntu's N.N.0-ABI-flavour naming` };
  // Debian: "6.1.0-13-amd64" (ABI number), "6.1.0-0.deb11.13-amd64" (a backport to 11), and from Debian 13
  // "6.12.38+deb13-amd64" / "6.12.12+bpo-amd64" (the stable release in the name).
  if (
    /^\d+\.\d+\.\d+(-\d+(\+bpo)?|-0\.deb\d+\.\d+|\+deb\d+|\+bpo)-(rt-|cloud-)?(amd64|arm64|686|686-pae|armmp|armmp-lpae|powerpc64le|s390x|mips64r2el|riscv64|loong64)$/.test(
      release,
    ) ||
    /#\d+\s+(?:[A-Z][A-Z0-9_]*\s+)*Debian\s/.test(banner)
  )
    return { family: 'debian', evidence: `release ${release} follows Debian's N.N.N-ABI-arch naming` };
  // A banner that names a distribution only in its compiler ("gcc (Debian 12.2.0-14)", "(Red Hat 8.5.0-4)")
  // is a kernel built by hand on that distribution: no distribution marker, so mainline and stable ranges judge it.
  return {
    family: 'mainline',
    evidence: `release ${release} matches no distribution's naming; treated as a mainline or site-built kernel`,
  };
}
