// Red Hat's per-CVE security data (the Security Data API's CVE JSON, as aquasecurity/vuln-list-redhat keeps it under
// api/YYYY/) as DistroFix rows: the only source here for RHEL 7 and the EUS/E4S/AUS/TUS streams.
import type { DistroFix, DistroFixStatus } from '../distro-fix.js';
import { parseNevra } from './csaf-advisory.js';
import { isoDay, redHatCpeEcosystem } from './ecosystems.js';
import { rpmSourceOf } from './relevant-packages.js';

/** The extract the builder keeps per CVE (scripts/distro-data/inputs/redhat/<CVE>.json). */
export interface RedHatExtract {
  schema: 'ctrsafe.redhat-extract/1';
  cve: string;
  source: { repository: string; path: string; commit: string };
  license: string;
  public_date: string;
  threat_severity: string;
  cvss3: string | null;
  /** [cpe, package NEVRA without arch ("kernel-0:4.18.0-348.20.1.el8_5"), advisory, release date]. */
  affected_release: [string, string, string, string][];
  /** [cpe, package name, fix_state]. */
  package_state: [string, string, string][];
}

/** The Security Data API's fix_state values (access.redhat.com/documentation: "Red Hat Security Data API"). */
const FIX_STATE: Record<string, DistroFixStatus> = {
  'Not affected': 'not-affected',
  Affected: 'unfixed',
  'Fix deferred': 'unfixed',
  'Will not fix': 'unfixed',
  'Out of support scope': 'unfixed',
  'Under investigation': 'undetermined',
  New: 'undetermined',
};

/** "kernel-rt-0:4.18.0-305.40.2.rt7.113.el8_4" → kernel-rt, 4.18.0-305.40.2.rt7.113.el8_4 (arch-less NEVR). */
function parseNevr(s: string): { name: string; version: string } | null {
  const n = parseNevra(`${s}.src`);
  return n ? { name: n.name, version: n.version } : null;
}

export function fixesFromRedHatExtract(x: RedHatExtract): DistroFix[] {
  const out: DistroFix[] = [];
  for (const [cpe, nevr, advisory, date] of x.affected_release) {
    const eco = redHatCpeEcosystem(cpe);
    const p = parseNevr(nevr);
    const pkg = p ? rpmSourceOf(p.name) : null;
    if (!eco || !p || !pkg) continue;
    out.push({ cve: x.cve, ecosystem: eco, package: pkg, status: 'fixed', fixed: p.version, advisory, date });
  }
  for (const [cpe, name, state] of x.package_state) {
    const eco = redHatCpeEcosystem(cpe);
    // Modular packages are named "container-tools:rhel8/podman".
    const pkg = rpmSourceOf(name.slice(name.lastIndexOf('/') + 1));
    const status = FIX_STATE[state];
    if (!eco || !pkg || !status) continue;
    const day = isoDay(x.public_date);
    out.push({ cve: x.cve, ecosystem: eco, package: pkg, status, ...(day ? { date: day } : {}) });
  }
  return out;
}
