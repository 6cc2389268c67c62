// Shifter's udiRoot.conf beyond key = value: the siteFs bind mounts that carry the host's mount flags in.
import { addFact, type Facts } from '../facts/fact.js';

/**
 * siteFs (and module_<name>_siteFs) hold ';'-separated "from:to[:flag...]" bind mounts (NERSC/shifter
 * src/VolumeMap.c, _findEndVolumeMapString and _parseVolumeMap). Shifter remounts its bind mounts nosuid, but
 * with the ":rec" (recursive) or ":shared" flag the host's own mount flags come in and the mounts leave
 * Shifter's control: the one exception to its nosuid rule (doc/security.rst).
 */
export function shifterSiteFsFacts(facts: Facts, where: string, values: Map<string, string[]>): void {
  const carried: string[] = [];
  for (const [key, list] of values) {
    if (key !== 'sitefs' && !/^module_.+_sitefs$/.test(key)) continue;
    for (const value of list)
      for (const entry of value.split(';')) {
        const parts = entry.trim().split(':');
        const flags = parts.slice(2).map((f) => f.trim().toLowerCase());
        if (flags.some((f) => f === 'rec' || f === 'shared')) carried.push(`${key}: ${entry.trim()}`);
      }
  }
  if (!values.has('sitefs') && carried.length === 0) return;
  addFact(
    facts,
    'runtime.shifter.sitefs_host_flags',
    carried,
    'file',
    carried.length
      ? `${where}: ${carried.join('; ').slice(0, 300)} (":rec"/":shared" bring the host's mount flags, nosuid or not)`
      : `${where}: no siteFs entry uses ":rec" or ":shared"`,
  );
}
