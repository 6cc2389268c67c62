// Judges whether this host's configuration leaves a matched flaw exploitable (pure): setuid mode, user namespaces, config keys.
import type { Facts } from '../facts/fact.js';
import type { Exposure } from '../schema/host-report.js';
import { RUNTIME_IDS } from '../runtimes/locations.js';
import type { Match } from './match-advisories.js';
import { judgeNvidiaPath } from './nvidia-paths.js';
import { DRIVER_TARGET } from './match-driver.js';

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
  // The GPU driver's flaws are reached through its device nodes: who may open them is who may attack it.
  if (m.target === DRIVER_TARGET) {
    const d = driverDeviceAccess(f);
    if (d.state === 'no') mitigated = true;
    else if (d.state === 'unknown') unknown = true;
    reasons.push(d.reason);
  }
  const exposure: Exposure = mitigated ? 'mitigated' : unknown ? 'unknown' : 'exploitable';
  if (reasons.length === 0) reasons.push('no configuration on this host is known to block it');
  return { exposure, reasons };
}

/**
 * Whether users can open /dev/nvidiactl, through which every ioctl of the driver goes (with /dev/nvidiaN and
 * /dev/nvidia-uvm): open to all, to a group, or to root only, from its mode and owner.
 */
function driverDeviceAccess(f: Facts): { state: 'yes' | 'no' | 'unknown'; reason: string } {
  const p = '/dev/nvidiactl';
  const mode = f.get(`device.${p}.mode`);
  if (typeof mode?.value !== 'string')
    return { state: 'unknown', reason: `reached through ${p}; who may open it is not known here` };
  const m = parseInt(mode.value, 8);
  if ((m & 0o006) === 0o006)
    return { state: 'yes', reason: `reachable: every user can open ${p} (${mode.evidence})` };
  const gid = f.get(`device.${p}.gid`)?.value;
  if ((m & 0o060) === 0o060 && gid !== 0)
    return {
      state: 'yes',
      reason: `reachable by members of group ${String(gid)}, who can open ${p} (${mode.evidence})`,
    };
  return { state: 'no', reason: `not reachable by users: only root can open ${p} (${mode.evidence})` };
}
