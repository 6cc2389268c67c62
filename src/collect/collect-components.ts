// Collects versions of the components advisories name (runc, crun, newuidmap, fusermount3, NVIDIA toolkit).
import type { HostRoot } from '../host/host-root.js';
import type { CommandRecord } from '../host/snapshot-manifest.js';
import { addFact, type Facts } from '../facts/fact.js';
import { COMPONENTS } from '../runtimes/components.js';
import type { PackageVersion } from './collect-packages.js';
import { addPackageFacts, chooseVersion, packageOwns } from './collect-runtimes.js';
import type { VersionCommand } from './collect-runtimes.js';

export function findComponentBinaries(root: HostRoot): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of COMPONENTS) {
    const bin = c.binaries.find((p) => {
      const st = root.stat(p);
      return st.ok && st.type === 'file';
    });
    if (bin) out.set(c.id, bin);
  }
  return out;
}

export function componentVersionCommands(bins: Map<string, string>): VersionCommand[] {
  const out: VersionCommand[] = [];
  for (const c of COMPONENTS) {
    const bin = bins.get(c.id);
    if (!bin || c.versionArgs.length === 0) continue;
    const argv = [bin, ...c.versionArgs];
    out.push({ key: argv.join(' '), argv });
  }
  return out;
}

export function collectComponentFacts(
  root: HostRoot,
  facts: Facts,
  bins: Map<string, string>,
  outputs: Map<string, CommandRecord>,
  pkgs: Map<string, PackageVersion>,
): void {
  for (const c of COMPONENTS) {
    const bin = bins.get(c.id);
    const pkg = c.packages.map((p) => [p, pkgs.get(p)] as const).find(([, v]) => v !== undefined);
    if (!bin && !pkg) continue;
    const pfx = `component.${c.id}`;
    addFact(
      facts,
      `${pfx}.installed`,
      true,
      'file',
      bin ? `${root.display(bin)} exists` : `package ${pkg![0]} is installed`,
    );
    const rec = bin && c.versionArgs.length > 0 ? outputs.get([bin, ...c.versionArgs].join(' ')) : undefined;
    chooseVersion(root, facts, pfx, bin, c, rec, pkg);
    if (pkg && packageOwns(bin)) addPackageFacts(facts, pfx, pkg[0], pkg[1]!);
  }
}
