// CSAF 2.0 documents (Rocky Linux's via ctrliq/advisories, Red Hat's advisory and VEX archives) as DistroFix rows.
import type { DistroFix, DistroFixStatus } from '../distro-fix.js';
import { isoDay, redHatCpeEcosystem } from './ecosystems.js';
import { rpmSourceOf } from './relevant-packages.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** CSAF 2.0 section 3.2.3.12 product_status categories → the contract's statuses. */
const STATUS: Record<string, DistroFixStatus> = {
  fixed: 'fixed',
  first_fixed: 'fixed',
  known_affected: 'unfixed',
  first_affected: 'unfixed',
  last_affected: 'unfixed',
  known_not_affected: 'not-affected',
  under_investigation: 'undetermined',
};

/**
 * The release a product stands for, from its CPE: Rocky Linux ("cpe:2.3:o:ciq:rocky_linux_from_ciq:8.5",
 * "cpe:/o:rocky:rocky:9") and Red Hat ("cpe:/o:redhat:rhel_eus:8.4::baseos").
 */
export function csafProductEcosystem(cpe: string): string | null {
  const rocky =
    /^cpe:(?:2\.3:|\/)o:(?:ciq:rocky_linux_from_ciq|rocky:rocky|resf:rocky_linux):(\d+)(?:[.:]|$)/.exec(cpe);
  if (rocky) return `Rocky Linux:${rocky[1]}`;
  return redHatCpeEcosystem(cpe);
}

/** name-[epoch:]version-release.arch → name, version with a non-zero epoch kept inline, arch. */
export function parseNevra(s: string): { name: string; version: string; arch: string } | null {
  const m = /^(.+)-(?:(\d+):)?([^-:]+)-([^-:]+)\.([a-z0-9_]+)$/.exec(s);
  if (!m) return null;
  const [, name, epoch, version, release, arch] = m;
  return {
    name: name!,
    version: `${epoch && epoch !== '0' ? `${epoch}:` : ''}${version}-${release}`,
    arch: arch!,
  };
}

interface Product {
  ecosystem: string;
  name: string;
  version: string;
  arch: string;
}

/** Full product ids ("rlc-8.5:kernel-0:4.18.0-348.20.1.el8_5.src") → release and package, from the product tree. */
function productIndex(tree: unknown): Map<string, Product> {
  const releases = new Map<string, string>();
  const walk = (branches: unknown, depth: number) => {
    if (!Array.isArray(branches) || depth > 12) return;
    for (const b of branches.slice(0, 100000)) {
      if (!isRecord(b)) continue;
      const p = isRecord(b.product) ? b.product : null;
      const cpe =
        p && isRecord(p.product_identification_helper) ? p.product_identification_helper.cpe : undefined;
      if (p && typeof p.product_id === 'string' && typeof cpe === 'string') {
        const eco = csafProductEcosystem(cpe);
        if (eco) releases.set(p.product_id, eco);
      }
      walk(b.branches, depth + 1);
    }
  };
  const out = new Map<string, Product>();
  if (!isRecord(tree)) return out;
  walk(tree.branches, 0);
  for (const r of Array.isArray(tree.relationships) ? tree.relationships.slice(0, 500000) : []) {
    if (!isRecord(r) || !isRecord(r.full_product_name)) continue;
    const id = r.full_product_name.product_id;
    const eco =
      typeof r.relates_to_product_reference === 'string'
        ? releases.get(r.relates_to_product_reference)
        : undefined;
    // Red Hat writes modular components as "container-tools:rhel8:...:podman-3:4.0.2-...src": the package is last.
    const ref =
      typeof r.product_reference === 'string' ? r.product_reference.replace(/^.*:(?=[^:]+-\d+:)/, '') : '';
    const nevra = parseNevra(ref);
    if (typeof id === 'string' && eco && nevra) out.set(id, { ecosystem: eco, ...nevra });
  }
  return out;
}

/** The distribution's advisory id: Rocky's RLSA named in the references (CIQ's copy is CRLSA), else the tracking id. */
function advisoryId(doc: Record<string, unknown>): string | undefined {
  const tracking = isRecord(doc.tracking) ? doc.tracking : {};
  const id = typeof tracking.id === 'string' ? tracking.id : undefined;
  for (const r of Array.isArray(doc.references) ? doc.references : []) {
    const m =
      isRecord(r) && typeof r.summary === 'string'
        ? /Rocky Linux Security Advisory (RL[SBE]A-\d{4}:\d+)/.exec(r.summary)
        : null;
    if (m) return m[1];
  }
  if (id && /^CRL[SBE]A-/.test(id)) return id.slice(1);
  return id && /^[A-Z]{2,6}-\d{4}:\d+$/.test(id) ? id : undefined;
}

/**
 * One CSAF document as rows for the CVEs `keep` accepts. Every listed RPM is mapped to the package a host reports
 * it under (relevant-packages.ts): binaries of RHEL 9.3+ kernel-rt come from the kernel source RPM but are
 * reported as kernel-rt, so binaries count, not only ".src". Statuses follow product_status.
 */
export function distroFixesFromCsaf(raw: unknown, keep: (cve: string) => boolean): DistroFix[] {
  if (!isRecord(raw) || !isRecord(raw.document) || !Array.isArray(raw.vulnerabilities)) return [];
  const products = productIndex(raw.product_tree);
  const advisory = advisoryId(raw.document);
  const date = isoDay(
    isRecord(raw.document.tracking) ? raw.document.tracking.initial_release_date : undefined,
  );
  const out: DistroFix[] = [];
  const seen = new Set<string>();
  for (const v of raw.vulnerabilities.slice(0, 10000)) {
    if (!isRecord(v) || typeof v.cve !== 'string' || !keep(v.cve) || !isRecord(v.product_status)) continue;
    for (const [category, ids] of Object.entries(v.product_status)) {
      const status = STATUS[category];
      if (!status || !Array.isArray(ids)) continue;
      for (const id of ids.slice(0, 100000)) {
        const p = typeof id === 'string' ? products.get(id) : undefined;
        if (!p) continue;
        const pkg = rpmSourceOf(p.name);
        if (!pkg) continue;
        const fixed = status === 'fixed' ? p.version : undefined;
        const key = `${v.cve}\0${p.ecosystem}\0${pkg}\0${status}\0${fixed ?? ''}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({
          cve: v.cve,
          ecosystem: p.ecosystem,
          package: pkg,
          status,
          ...(fixed ? { fixed } : {}),
          ...(advisory ? { advisory } : {}),
          ...(date ? { date } : {}),
        });
      }
    }
  }
  return out;
}
