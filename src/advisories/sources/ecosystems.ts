// Release names in OSV's spelling (the DistroFix contract): from OSV ecosystems, CPEs and distribution code names.

/** Debian code names → OSV's "Debian:N" (debian.org/releases). */
export const DEBIAN_RELEASES: Record<string, string> = {
  buster: 'Debian:10',
  bullseye: 'Debian:11',
  bookworm: 'Debian:12',
  trixie: 'Debian:13',
  forky: 'Debian:14',
};

/** Ubuntu code names → OSV's "Ubuntu:NN.NN[:LTS]" (wiki.ubuntu.com/Releases). */
export const UBUNTU_RELEASES: Record<string, string> = {
  xenial: 'Ubuntu:16.04:LTS',
  bionic: 'Ubuntu:18.04:LTS',
  focal: 'Ubuntu:20.04:LTS',
  jammy: 'Ubuntu:22.04:LTS',
  noble: 'Ubuntu:24.04:LTS',
};

/** SUSE modules that carry the kernel and the container stack of SLES (and SLE HPC) 15: the release is the SP. */
const SLE_MODULE =
  /^SUSE:Linux Enterprise (?:Module for (?:Basesystem|Server Applications|Containers|Public Cloud|Legacy|Development Tools)|Server|High Performance Computing) (1[25](?: SP\d)?)$/;

/**
 * An OSV ecosystem as the contract spells it, or null for one the data does not keep. Red Hat's variants
 * ("Red Hat:enterprise_linux:9::appstream") collapse to the release; SUSE's modules to the server release.
 */
export function normalizeOsvEcosystem(eco: string): string | null {
  const m = /^(AlmaLinux|Rocky Linux):(\d+)$/.exec(eco);
  if (m) return `${m[1]}:${m[2]}`;
  if (/^Debian:\d+$/.test(eco)) return eco;
  if (/^Ubuntu:(Pro:)?\d\d\.\d\d(:LTS)?$/.test(eco)) return eco;
  const rh =
    /^Red Hat:(enterprise_linux|rhel_eus|rhel_e4s|rhel_aus|rhel_tus|rhel_els):(\d+(?:\.\d+)?)(?:::[a-z_]+)?$/.exec(
      eco,
    );
  if (rh) return `Red Hat:${rh[1]}:${rh[2]}`;
  const sle = SLE_MODULE.exec(eco);
  if (sle) return `SUSE:Linux Enterprise Server ${sle[1]}`;
  return null;
}

/**
 * A Red Hat CPE as an ecosystem: cpe:/o:redhat:enterprise_linux:8 → "Red Hat:enterprise_linux:8",
 * cpe:/a:redhat:rhel_eus:8.4::appstream → "Red Hat:rhel_eus:8.4". Other products (OpenShift, RHV) → null.
 */
export function redHatCpeEcosystem(cpe: string): string | null {
  const m =
    /^cpe:\/[oa]:redhat:(enterprise_linux|rhel_eus|rhel_e4s|rhel_aus|rhel_tus|rhel_els|rhel_extras_rt_els|rhel_extras_rt|rhel_extras_other):(\d+(?:\.\d+)?)(?::|$)/.exec(
      cpe,
    );
  if (!m) return null;
  // RHEL 7's real-time kernels and its Extras channel (runc, podman) are products of their own; the release they
  // serve is RHEL 7 (or its ELS).
  const product =
    m[1] === 'rhel_extras_rt_els'
      ? 'rhel_els'
      : m[1] === 'rhel_extras_rt' || m[1] === 'rhel_extras_other'
        ? 'enterprise_linux'
        : m[1]!;
  // RHEL 10 names its main stream by minor ("enterprise_linux:10.0"); the release is the major, as for 7-9.
  const release = product === 'enterprise_linux' ? m[2]!.split('.')[0]! : m[2]!;
  return `Red Hat:${product}:${release}`;
}

const CVE_IN = /CVE-\d{4}-\d{4,7}/;

/** The CVE ids one OSV record stands for: its id (UBUNTU-CVE-2024-1086 too), aliases, related and upstream. */
export function osvCves(raw: {
  id?: unknown;
  aliases?: unknown;
  related?: unknown;
  upstream?: unknown;
}): string[] {
  const out = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v !== 'string') return;
    const m = CVE_IN.exec(v);
    if (m && (v === m[0] || v.endsWith(`-${m[0]}`))) out.add(m[0]);
  };
  add(raw.id);
  for (const k of [raw.aliases, raw.related, raw.upstream])
    if (Array.isArray(k)) k.slice(0, 5000).forEach(add);
  return [...out].sort();
}

/** YYYY-MM-DD of an ISO timestamp, or null. */
export function isoDay(v: unknown): string | null {
  return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : null;
}
