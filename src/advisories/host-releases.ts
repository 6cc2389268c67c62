// Which distribution releases' records speak for a host, in the order they decide (pure).

/**
 * own: the host's own distribution and release. rebuild: another rebuild of the same sources (RHEL, AlmaLinux,
 * Rocky ship the same NVRs; CentOS Linux 7 and Oracle Linux's compatible kernel follow RHEL; SLE HPC and SLES
 * share one code stream). stream: a Red Hat minor-release stream (EUS, E4S, AUS) the kernel's dist tag names, or
 * RHEL 7.9's Extended Life-cycle Support.
 * pro: Ubuntu Pro (ESM) fixes for the same release.
 */
export type Relation = 'own' | 'rebuild' | 'stream' | 'pro';

export interface ReleaseCandidate {
  /** OSV ecosystem: "Rocky Linux:9", "Red Hat:rhel_eus:8.4", "SUSE:Linux Enterprise Server 15 SP3". */
  ecosystem: string;
  relation: Relation;
  /** For the reason: "AlmaLinux 9's record of the same rebuild". */
  label: string;
}

const EL_LIKE = ['rhel', 'centos', 'rocky', 'almalinux', 'ol', 'circle', 'navylinux'];
const SUSE_IDS = ['sles', 'sled', 'sles_sap', 'sle_hpc', 'sle-micro'];

/** The distribution family of an os-release ID: where its package versions use RPM or Debian syntax. */
export function distroFamily(osId: string): 'el' | 'suse' | 'debian' | 'ubuntu' | null {
  if (EL_LIKE.includes(osId)) return 'el';
  if (SUSE_IDS.includes(osId) || osId.startsWith('sle')) return 'suse';
  if (osId === 'debian') return 'debian';
  if (osId === 'ubuntu') return 'ubuntu';
  return null;
}

export function hostReleases(
  osId: string,
  versionId: string,
  stream: { major: string; minor: string } | null,
): ReleaseCandidate[] {
  const major = versionId.split('.')[0] ?? '';
  const out: ReleaseCandidate[] = [];
  const add = (ecosystem: string, relation: Relation, label: string) =>
    out.push({ ecosystem, relation, label });
  switch (distroFamily(osId)) {
    case 'debian':
      add(`Debian:${major}`, 'own', `Debian ${major}`);
      break;
    case 'ubuntu': {
      // LTS releases are April releases of even years ("22.04"); OSV spells them "Ubuntu:22.04:LTS".
      const lts = /^\d*[02468]\.04$/.test(versionId);
      add(lts ? `Ubuntu:${versionId}:LTS` : `Ubuntu:${versionId}`, 'own', `Ubuntu ${versionId}`);
      if (lts) add(`Ubuntu:Pro:${versionId}:LTS`, 'pro', `Ubuntu Pro ${versionId}`);
      break;
    }
    case 'el': {
      const alma = [`AlmaLinux:${major}`, `AlmaLinux ${major}`] as const;
      const rocky = [`Rocky Linux:${major}`, `Rocky Linux ${major}`] as const;
      const rhel = [`Red Hat:enterprise_linux:${major}`, `Red Hat Enterprise Linux ${major}`] as const;
      const order =
        osId === 'almalinux'
          ? [alma, rocky, rhel]
          : osId === 'rocky'
            ? [rocky, alma, rhel]
            : [rhel, alma, rocky];
      order.forEach(([eco, label], i) =>
        add(eco, i === 0 && ['rhel', 'rocky', 'almalinux'].includes(osId) ? 'own' : 'rebuild', label),
      );
      if (stream && stream.major === major)
        for (const kind of ['eus', 'e4s', 'aus'])
          add(
            `Red Hat:rhel_${kind}:${major}.${stream.minor}`,
            'stream',
            `Red Hat ${major}.${stream.minor} ${kind.toUpperCase()}`,
          );
      // RHEL 7's Extended Life-cycle Support updates 7.9 only, on its 3.10.0-1160 kernels.
      if (stream && stream.major === '7' && stream.minor === '9' && major === '7')
        add('Red Hat:rhel_els:7', 'stream', 'Red Hat 7 ELS');
      break;
    }
    case 'suse': {
      // VERSION_ID "15.3" is 15 SP3, "15" the GA release.
      const [v, sp] = versionId.split('.');
      const name = `${v}${sp && sp !== '0' ? ` SP${sp}` : ''}`;
      const sles = `SUSE:Linux Enterprise Server ${name}`;
      if (osId === 'sle_hpc')
        add(`SUSE:Linux Enterprise High Performance Computing ${name}`, 'own', `SLE HPC ${name}`);
      if (osId === 'sles_sap')
        add(`SUSE:Linux Enterprise Server for SAP Applications ${name}`, 'own', `SLES for SAP ${name}`);
      add(sles, osId === 'sles' ? 'own' : 'rebuild', `SLES ${name}`);
      break;
    }
    default:
      break;
  }
  return out;
}

/**
 * Runtimes the distributions' own archives do not ship: on a Debian, Ubuntu, RHEL-family or SLES node they
 * came from the project's packages, NVIDIA's repository, EPEL or PackageHub, whose builds track upstream
 * releases, so upstream ranges judge them (advisory-sources.md, "Who ships Apptainer").
 */
const NOT_SHIPPED =
  /^(apptainer(-suid)?|singularity-ce|enroot(\+caps|-hardened(\+caps)?)?|nvidia-container-toolkit(-base)?|libnvidia-container(1|-tools)|sarus|shifter(-runtime)?)$/;
const NOT_SHIPPED_EL_SUSE = /^(charliecloud(-runtime)?|singularity(-runtime)?)$/;

export function distributionShips(family: ReturnType<typeof distroFamily>, pkg: string): boolean {
  if (family === null) return false;
  if (NOT_SHIPPED.test(pkg)) return false;
  if ((family === 'el' || family === 'suse') && NOT_SHIPPED_EL_SUSE.test(pkg)) return false;
  return true;
}
