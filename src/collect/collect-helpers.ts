// Collects the setuid/setgid bits, owners and file capabilities of container helpers, and whether their mount honours setuid.
import type { HostRoot } from '../host/host-root.js';
import { addFact, type Facts } from '../facts/fact.js';
import { mountFor, type Mount } from '../parse/mounts.js';
import { HELPERS } from '../runtimes/locations.js';

export interface FoundHelper {
  key: string;
  path: string;
  realPath: string;
}

/** Finds each helper at its first existing location. */
export function findHelpers(root: HostRoot): FoundHelper[] {
  const found: FoundHelper[] = [];
  for (const [key, paths] of Object.entries(HELPERS)) {
    for (const p of paths) {
      const st = root.stat(p);
      if (!st.ok || st.type !== 'file') continue;
      const r = root.resolve(p);
      found.push({ key, path: p, realPath: r.ok ? r.real : p });
      break;
    }
  }
  return found;
}

/**
 * caps: capabilities per host path, from the snapshot manifest or getcap(8); a path missing from the map
 * means capabilities could not be read here.
 */
export function collectHelperFacts(
  root: HostRoot,
  facts: Facts,
  helpers: FoundHelper[],
  mounts: Mount[],
  caps: Map<string, string | null>,
): void {
  for (const h of helpers) {
    const st = root.stat(h.path);
    if (!st.ok) continue;
    const id = `helper.${h.key}`;
    const mode = (st.perm & 0o7777).toString(8).padStart(4, '0');
    const setuidRoot = (st.perm & 0o4000) !== 0 && st.uid === 0;
    const from = st.source === 'manifest' ? 'snapshot manifest' : root.display(h.path);
    addFact(facts, `${id}.path`, h.path, 'file', `${from}: present`);
    // A copied tree whose manifest does not list this file cannot tell its real mode and owner.
    if (!st.ownerKnown) continue;
    addFact(facts, `${id}.mode`, mode, 'file', `${from}: mode ${mode}, owner uid ${st.uid}`);
    addFact(
      facts,
      `${id}.setuid_root`,
      setuidRoot,
      'file',
      `${from}: mode ${mode}, uid ${st.uid}${setuidRoot ? ' (setuid root)' : ''}`,
    );
    addFact(facts, `${id}.setgid`, (st.perm & 0o2000) !== 0, 'file', `${from}: mode ${mode}`);
    const cap = st.source === 'manifest' ? (st.caps ?? null) : caps.get(h.path);
    if (cap !== undefined)
      addFact(
        facts,
        `${id}.caps`,
        cap,
        'file',
        `${from}: ${cap ? `file capabilities ${cap}` : 'no file capabilities'}`,
      );
    // A setuid bit on a nosuid mount does nothing (mount(8) "nosuid").
    if (mounts.length > 0) {
      const m = mountFor(mounts, h.path);
      if (m)
        addFact(
          facts,
          `${id}.on_nosuid_mount`,
          m.options.includes('nosuid'),
          'file',
          `${h.path} is on ${m.mountpoint} (${m.fstype}, ${m.options.includes('nosuid') ? 'nosuid' : 'setuid honoured'})`,
        );
    }
  }
}
