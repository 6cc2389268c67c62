// SUSE security advisories (SUSE-SU) as DistroFix rows: the extract keeps the advisory's CVE list, the release its
// product belongs to, and the kernel/runtime packages with the versions it ships.
import type { DistroFix } from '../distro-fix.js';
import { normalizeOsvEcosystem } from './ecosystems.js';
import { susePackageOf } from './relevant-packages.js';

export interface SuseExtract {
  schema: 'ctrsafe.suse-extract/1';
  advisory: string;
  source: { repository: string; path: string; commit: string; read: string };
  license: string;
  date: string | null;
  /** The contract's release ("SUSE:Linux Enterprise Server 15 SP3"). */
  release: string;
  product: string;
  packages: [string, string][];
  cves: string[];
}

/** Every kept CVE of the advisory is fixed, for its release, at the version each kept package has. */
export function fixesFromSuseExtract(x: SuseExtract, keep: (cve: string) => boolean): DistroFix[] {
  const eco = normalizeOsvEcosystem(x.release);
  if (!eco) return [];
  const out: DistroFix[] = [];
  for (const cve of x.cves.filter(keep))
    for (const [name, version] of x.packages) {
      const pkg = susePackageOf(name);
      if (pkg)
        out.push({
          cve,
          ecosystem: eco,
          package: pkg,
          status: 'fixed',
          fixed: version,
          advisory: x.advisory,
          ...(x.date ? { date: x.date } : {}),
        });
    }
  return out;
}
