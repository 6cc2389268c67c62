// Collects which distribution package the running kernel came from, its version and its upstream base (issue 12).
import type { HostRoot } from '../host/host-root.js';
import { addFact, type Facts } from '../facts/fact.js';
import type { KernelFamily } from '../version/classify-kernel.js';
import { identifyKernel, type KernelPackageEntry } from '../version/kernel-package.js';

export function collectKernelPackageFacts(root: HostRoot, facts: Facts, kernels: KernelPackageEntry[]): void {
  const release = facts.get('kernel.release')?.value;
  const family = facts.get('kernel.family')?.value;
  if (typeof release !== 'string' || typeof family !== 'string') return;
  // Ubuntu: "Ubuntu 5.15.0-91.101-generic 5.15.131", the package version and the upstream stable base.
  const sig = root.readText('/proc/version_signature', 512);
  const signature = sig.ok && !sig.binary ? sig.text.trim() : '';
  if (signature)
    addFact(
      facts,
      'kernel.version_signature',
      signature.slice(0, 200),
      'file',
      root.display('/proc/version_signature'),
    );
  const id = identifyKernel({
    family: family as KernelFamily,
    release,
    banner: String(facts.get('kernel.version_banner')?.value ?? ''),
    signature,
    osVersion: String(facts.get('os.version_id')?.value ?? ''),
    packages: kernels,
  });
  if (id.package) {
    const p = id.package;
    addFact(facts, 'kernel.package', `${p.name} ${p.version}`, 'file', p.evidence);
    addFact(facts, 'kernel.package_syntax', p.syntax, 'file', p.evidence);
    if (p.partial) addFact(facts, 'kernel.package_partial', true, 'file', p.evidence);
  } else if (id.missing) addFact(facts, 'kernel.package_missing', id.missing, 'file', id.missing);
  if (id.base) {
    addFact(facts, 'kernel.base_version', id.base.version, 'file', id.base.evidence);
    addFact(facts, 'kernel.base_stable', id.base.stable, 'file', id.base.evidence);
  }
  // The running kernel's changelog: the %changelog of its RPM header (collect-packages reads only that one's).
  const own = kernels.find((k) => k.changelogFixes && id.package && k.version === id.package.version);
  if (own?.changelogFixes?.length)
    addFact(
      facts,
      'kernel.changelog_fixes',
      own.changelogFixes,
      'file',
      `${own.changelogFrom ?? "the changelog of the running kernel's package"} names ${own.changelogFixes.length} CVEs the database describes`,
    );
}
