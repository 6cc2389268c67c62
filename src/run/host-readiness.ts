// Before a launch: can this host give an unprivileged user a user namespace and no_new_privs? From the same
// collectors and features as `ctrsafe check` (files only, no probes: a launch must start fast).
import { collectorsReading, FILE_COLLECTORS, runCollectors } from '../collect/collectors.js';
import { deriveFeatures } from '../evaluate/derive-features.js';
import type { Facts } from '../facts/fact.js';
import type { HostRoot } from '../host/host-root.js';
import { findRule } from '../rules/catalogue.js';

export interface Readiness {
  ok: boolean;
  /** Why not, and what to change; empty when ok. */
  refusals: string[];
  /** What could not be established from files (bwrap will find out, and its failure is explained). */
  unknowns: string[];
}

const BWRAP = ['/usr/bin/bwrap', '/bin/bwrap', '/usr/local/bin/bwrap'];

export function judgeReadiness(facts: Facts): Readiness {
  const features = new Map(deriveFeatures(facts).map((f) => [f.id, f]));
  const refusals: string[] = [];
  const unknowns: string[] = [];
  const nnp = features.get('no_new_privs')!;
  if (nnp.state === 'no')
    refusals.push(
      `this kernel cannot set no_new_privs (${nnp.evidence}); ${findRule('CS-K001')?.remediation ?? ''}`.trim(),
    );
  else if (nnp.state === 'unknown') unknowns.push(`no_new_privs: ${nnp.evidence}`);
  let userns = features.get('unprivileged_userns')!;
  // Ubuntu >= 23.10 restricts user namespaces to programs an AppArmor profile allows; Ubuntu ships one for bwrap.
  const profiles = facts.get('apparmor.userns_profiles')?.value;
  if (userns.state === 'no' && Array.isArray(profiles) && profiles.some((p) => BWRAP.includes(String(p))))
    userns = features.get('userns_with_apparmor_profile')!;
  if (userns.state === 'no')
    refusals.push(
      `unprivileged user namespaces are not available (${userns.evidence}); ${findRule('CS-K002')?.remediation ?? ''}`.trim(),
    );
  else if (userns.state === 'unknown') unknowns.push(`unprivileged user namespaces: ${userns.evidence}`);
  return { ok: refusals.length === 0, refusals, unknowns };
}

/**
 * The facts judgeReadiness reads, through deriveFeatures' no_new_privs and unprivileged_userns (the kernel and its
 * family from os-release, /proc/self/status, /proc's setgroups file, the user namespace sysctls) and the AppArmor
 * profiles that allow bwrap a user namespace. The collectors are the registry's that provide them.
 */
export const READINESS_READS = ['os.', 'kernel.', 'status.', 'proc.', 'sysctl.', 'apparmor.'] as const;

/** The registered collectors the readiness runs, in order: every one providing a fact it reads. */
export const readinessCollectors = (live: boolean) =>
  collectorsReading(READINESS_READS, FILE_COLLECTORS, live);

export function collectReadinessFacts(root: HostRoot): Facts {
  const facts: Facts = new Map();
  runCollectors(readinessCollectors(root.isLive), root, facts);
  return facts;
}
