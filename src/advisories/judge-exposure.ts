// Judges whether this host's configuration leaves a matched flaw exploitable (pure): setuid mode, user namespaces, config keys.
import type { Facts } from '../facts/fact.js';
import type { Exposure } from '../schema/host-report.js';
import { RUNTIME_IDS } from '../runtimes/locations.js';
import type { Match } from './match-advisories.js';
import { judgeNvidiaPath } from './nvidia-paths.js';

export type { Exposure };

export interface Judged {
  exposure: Exposure;
  reasons: string[];
}

const RUNTIMES = new Set<string>(RUNTIME_IDS);

export function judgeExposure(m: Match, f: Facts): Judged {
  const pre = m.advisory.ctrsafe.preconditions;
  const reasons: string[] = [];
  let mitigated = false;
  let unknown = false;
  if (pre.setuid_mode === true && RUNTIMES.has(m.target)) {
    const mode = f.get(`runtime.${m.target}.mode`);
    if (mode?.value === 'setuid')
      reasons.push(`needs setuid mode, and ${m.target} runs setuid (${mode.evidence})`);
    else if (mode?.value === 'unprivileged') {
      mitigated = true;
      reasons.push(`needs setuid mode, but ${m.target} runs without setuid (${mode.evidence})`);
    } else {
      unknown = true;
      reasons.push(`needs setuid mode; ${m.target}'s mode is not known`);
    }
  }
  if (pre.unprivileged_userns === true) {
    const u = f.get('feature.unprivileged_userns');
    if (u?.value === 'yes')
      reasons.push(`needs unprivileged user namespaces, which this host allows (${u.how})`);
    else if (u?.value === 'no') {
      mitigated = true;
      reasons.push(
        `needs unprivileged user namespaces, which this host does not allow (${u.how}: ${u.evidence})`,
      );
    } else {
      unknown = true;
      reasons.push('needs unprivileged user namespaces; whether this host allows them is not known');
    }
  }
  for (const c of pre.config ?? []) {
    const id = c.target === 'sysctl' ? `sysctl.${c.key}` : `runtime.${c.target}.conf.${c.key.toLowerCase()}`;
    const fact = f.get(id);
    const value = fact?.value !== undefined && fact.value !== null ? String(fact.value) : c.default;
    const where = fact ? fact.evidence : `${c.key} is not set; the default is ${c.default ?? 'not recorded'}`;
    if (value === undefined) {
      unknown = true;
      reasons.push(`reachable only when ${c.key} is ${c.in.join(' or ')}; its value is not known`);
    } else if (c.in.includes(value)) reasons.push(`reachable: ${c.key} = ${value} (${where})`);
    else {
      mitigated = true;
      reasons.push(`not reachable: ${c.key} = ${value} (${where}); the flaw needs ${c.in.join(' or ')}`);
    }
  }
  // The toolkit's flaws are reached only through the ways named; none in use on this node blocks them.
  if (pre.nvidia_paths?.length) {
    const states = pre.nvidia_paths.map((p) => judgeNvidiaPath(p, f, m.installed_version));
    if (states.some((s) => s.state === 'yes'))
      reasons.push(
        `reachable: ${states
          .filter((s) => s.state === 'yes')
          .map((s) => s.reason)
          .join('; ')}`,
      );
    else if (states.every((s) => s.state === 'no')) {
      mitigated = true;
      reasons.push(`not reachable: ${states.map((s) => s.reason).join('; ')}`);
    } else {
      unknown = true;
      reasons.push(
        `reachable only through ${pre.nvidia_paths.map((p) => p.path).join(' or ')}: ${states.map((s) => s.reason).join('; ')}`,
      );
    }
  }
  const exposure: Exposure = mitigated ? 'mitigated' : unknown ? 'unknown' : 'exploitable';
  if (reasons.length === 0) reasons.push('no configuration on this host is known to block it');
  return { exposure, reasons };
}
