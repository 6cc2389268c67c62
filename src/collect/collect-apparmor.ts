// Collects AppArmor profiles that grant "userns": on Ubuntu >= 23.10 only such profiles let a runtime use user namespaces.
import type { HostRoot } from '../host/host-root.js';
import { addFact, type Facts } from '../facts/fact.js';
import type { RuntimeId } from '../runtimes/locations.js';

/** The programs that create the user namespace for each runtime (what a profile must attach to). */
export const USERNS_PROGRAMS: Partial<Record<RuntimeId, string[]>> = {
  charliecloud: ['/usr/bin/ch-run', '/usr/local/bin/ch-run'],
  podman: ['/usr/bin/podman', '/usr/local/bin/podman'],
  apptainer: [
    '/usr/libexec/apptainer/bin/starter',
    '/usr/libexec/apptainer/bin/starter{,-suid}',
    '/usr/local/libexec/apptainer/bin/starter',
  ],
  'singularity-ce': ['/usr/libexec/singularity/bin/starter', '/usr/libexec/singularity/bin/starter{,-suid}'],
  enroot: ['/usr/bin/enroot', '/usr/bin/enroot-nsenter', '/usr/lib/enroot/*'],
};

const SKIP = new Set(['abstractions', 'tunables', 'local', 'disable', 'force-complain', 'cache', 'abi']);

/** "profile NAME ATTACH flags=(...) {" or "ATTACH {"; the body grants userns with a "userns," rule (apparmor.d(5)). */
function profilesIn(text: string): { name: string; attach: string; userns: boolean }[] {
  const out: { name: string; attach: string; userns: boolean }[] = [];
  const re =
    /^\s*(?:profile\s+(\S+)\s+(\/\S+)|profile\s+(\/\S+)|(\/\S+))\s*(?:flags=\([^)]*\)\s*)?\{([\s\S]*?)^\}/gm;
  let m: RegExpExecArray | null;
  let n = 0;
  while ((m = re.exec(text)) !== null && n++ < 200) {
    const attach = m[2] ?? m[3] ?? m[4] ?? '';
    out.push({ name: m[1] ?? attach, attach, userns: /^\s*userns\s*,/m.test(m[5] ?? '') });
  }
  return out;
}

export function collectAppArmorFacts(root: HostRoot, facts: Facts): void {
  const l = root.list('/etc/apparmor.d', 2000);
  if (!l.ok) return;
  const disabled = root.list('/etc/apparmor.d/disable', 2000);
  const off = new Set(disabled.ok ? disabled.names : []);
  const granted: { name: string; attach: string; file: string }[] = [];
  for (const n of l.names) {
    if (SKIP.has(n) || n.startsWith('.') || off.has(n)) continue;
    const p = `/etc/apparmor.d/${n}`;
    const r = root.readText(p, 256 * 1024);
    if (!r.ok || r.binary || r.truncated) continue;
    for (const prof of profilesIn(r.text)) if (prof.userns) granted.push({ ...prof, file: p });
  }
  addFact(
    facts,
    'apparmor.userns_profiles',
    granted.map((g) => g.attach),
    'file',
    `${root.display('/etc/apparmor.d')}: ${granted.length} profiles grant userns`,
  );
  // Live and as root, the kernel's list of loaded profiles proves a profile is in force, not just on disk.
  const loaded = root.isLive ? root.readText('/sys/kernel/security/apparmor/profiles', 1024 * 1024) : null;
  const loadedNames = loaded?.ok
    ? new Set(
        loaded.text
          .split('\n')
          .map((x) => x.replace(/\s+\((enforce|complain|unconfined|kill|prompt)\)$/, '').trim()),
      )
    : null;
  for (const [id, programs] of Object.entries(USERNS_PROGRAMS)) {
    const hit = granted.find((g) => programs.includes(g.attach));
    if (!hit) {
      // Installed without a profile: restricted. Not installed: its package may bring one (Apptainer's .deb does).
      if (facts.get(`runtime.${id}.installed`)?.value === true)
        addFact(
          facts,
          `runtime.${id}.apparmor_userns`,
          false,
          'file',
          `no profile in ${root.display('/etc/apparmor.d')} grants userns to ${programs[0]}`,
        );
      continue;
    }
    const inForce = loadedNames ? loadedNames.has(hit.name) : null;
    if (inForce === false) {
      addFact(
        facts,
        `runtime.${id}.apparmor_userns`,
        false,
        'file',
        `${root.display(hit.file)} grants userns to ${hit.attach}, but the profile "${hit.name}" is not loaded`,
      );
      continue;
    }
    addFact(
      facts,
      `runtime.${id}.apparmor_userns`,
      true,
      'file',
      `${root.display(hit.file)}: profile "${hit.name}" for ${hit.attach} grants userns${inForce ? ' and is loaded' : ''}`,
    );
  }
}
