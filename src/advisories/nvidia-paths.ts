// Judges whether each way the NVIDIA container toolkit's code runs is in use on a node (pure): yes/no/unknown with evidence.
import type { NvidiaPath } from './advisory.js';
import type { Facts } from '../facts/fact.js';
import { compareUpstream } from '../version/compare-upstream.js';

export interface PathState {
  state: 'yes' | 'no' | 'unknown';
  reason: string;
}

const list = (f: Facts, id: string): string[] | null => {
  const v = f.get(id)?.value;
  return Array.isArray(v) ? v : null;
};
const ev = (f: Facts, id: string): string | undefined => f.get(id)?.evidence;

/** Who runs nvidia-container-cli (libnvidia-container's library injection, the path CVE-2024-0132 is in). */
function cliPath(f: Facts): PathState {
  const cli = f.get('nvidia_toolkit.cli')?.value;
  if (typeof cli !== 'string')
    return {
      state: 'no',
      reason:
        'nvidia-container-cli is not installed (/usr/bin, /usr/local/bin): libnvidia-container injection cannot run',
    };
  const users: string[] = [];
  const hook = f.get('nvidia_toolkit.oci_hook')?.value;
  if (typeof hook === 'string') users.push(`Podman's OCI hook ${hook} (prestart, runs nvidia-container-cli)`);
  const enroot = f.get('enroot.nvidia_hook')?.value;
  if (typeof enroot === 'string') users.push(`enroot's ${enroot}`);
  const sarus = f.get('sarus.nvidia_hook')?.value;
  if (typeof sarus === 'string') users.push(`Sarus's NVIDIA hook ${sarus}`);
  for (const rt of ['apptainer', 'singularity-ce', 'singularity'])
    if (f.get(`runtime.${rt}.installed`)?.value === true) users.push(`${rt} --nvccli`);
  const engines = list(f, 'nvidia_toolkit.engine_configs') ?? [];
  if (engines.length) users.push(`nvidia-container-runtime's legacy mode (${engines.join(', ')})`);
  return users.length
    ? { state: 'yes', reason: `nvidia-container-cli is run by ${users.join('; ')}` }
    : {
        state: 'no',
        reason:
          'nvidia-container-cli is installed but nothing here runs it: no OCI hook file, no enroot hook, no Apptainer/Singularity, no engine configured with nvidia-container-runtime',
      };
}

function cdiPath(f: Facts): PathState {
  const hooks = list(f, 'cdi.toolkit_hooks');
  if (hooks === null) return { state: 'no', reason: 'no CDI spec in /etc/cdi or /var/run/cdi' };
  return hooks.length
    ? { state: 'yes', reason: ev(f, 'cdi.toolkit_hooks')! }
    : { state: 'no', reason: ev(f, 'cdi.toolkit_hooks')! };
}

function runtimePath(f: Facts): PathState {
  const engines = list(f, 'nvidia_toolkit.engine_configs');
  if (engines === null)
    return { state: 'unknown', reason: 'whether an engine runs nvidia-container-runtime is not known' };
  if (!engines.length) return { state: 'no', reason: ev(f, 'nvidia_toolkit.engine_configs')! };
  if (f.get('nvidia_toolkit.disable_cuda_compat_lib_hook')?.value === true)
    return {
      state: 'no',
      reason: `${ev(f, 'nvidia_toolkit.engine_configs')}, but ${ev(f, 'nvidia_toolkit.disable_cuda_compat_lib_hook')} (NVIDIA's mitigation)`,
    };
  return { state: 'yes', reason: ev(f, 'nvidia_toolkit.engine_configs')! };
}

export function judgeNvidiaPath(p: NvidiaPath, f: Facts, installed: string | null): PathState {
  if (p.introduced && installed) {
    const c = compareUpstream(installed, p.introduced);
    if (c !== null && c < 0)
      return { state: 'no', reason: `${p.path}: not in ${installed} (this way exists from ${p.introduced})` };
  }
  const s =
    p.path === 'nvidia-container-cli' ? cliPath(f) : p.path === 'cdi-hooks' ? cdiPath(f) : runtimePath(f);
  return { ...s, reason: `${p.path}: ${s.reason}` };
}
