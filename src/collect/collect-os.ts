// Collects the OS identity (os-release, legacy release files) and the host name.
import type { HostRoot } from '../host/host-root.js';
import { addFact, type Facts } from '../facts/fact.js';
import { parseOsRelease } from '../parse/os-release.js';
import { readProblem, readValueFile } from './read-helpers.js';

/** SLES 11 and RHEL/CentOS 6 predate os-release on some installs; their release files carry the same facts. */
const LEGACY_RELEASE_FILES: { path: string; id: string; pattern: RegExp }[] = [
  { path: '/etc/SuSE-release', id: 'sles', pattern: /VERSION\s*=\s*(\d+)[\s\S]*?PATCHLEVEL\s*=\s*(\d+)/ },
  { path: '/etc/centos-release', id: 'centos', pattern: /release (\d+)(?:\.(\d+))?/ },
  { path: '/etc/redhat-release', id: 'rhel', pattern: /release (\d+)(?:\.(\d+))?/ },
];

export function collectOsFacts(root: HostRoot, facts: Facts): void {
  let found = false;
  for (const p of ['/etc/os-release', '/usr/lib/os-release']) {
    const r = root.readText(p, 16384);
    const problem = readProblem(r, root, 16384);
    if (problem !== null) {
      if (r.ok || !r.missing) addFact(facts, 'os.problem', problem, 'file', problem);
      continue;
    }
    const kv = parseOsRelease((r as { text: string }).text);
    if (!kv.ID) continue;
    const src = root.display(p);
    addFact(facts, 'os.id', kv.ID, 'file', `${src}: ID=${kv.ID}`);
    addFact(
      facts,
      'os.version_id',
      kv.VERSION_ID ?? null,
      'file',
      `${src}: VERSION_ID=${kv.VERSION_ID ?? '(none)'}`,
    );
    addFact(
      facts,
      'os.id_like',
      (kv.ID_LIKE ?? '').split(/\s+/).filter(Boolean),
      'file',
      `${src}: ID_LIKE=${kv.ID_LIKE ?? ''}`,
    );
    addFact(facts, 'os.pretty_name', kv.PRETTY_NAME ?? kv.NAME ?? kv.ID, 'file', `${src}: PRETTY_NAME`);
    found = true;
    break;
  }
  if (!found) {
    for (const l of LEGACY_RELEASE_FILES) {
      const r = root.readText(l.path, 4096);
      if (!r.ok || r.binary) continue;
      const m = l.pattern.exec(r.text);
      if (!m) continue;
      const version = m[2] !== undefined ? `${m[1]}.${m[2]}` : m[1]!;
      const src = root.display(l.path);
      addFact(facts, 'os.id', l.id, 'file', `${src}: ${r.text.split('\n')[0]!.trim().slice(0, 120)}`);
      addFact(facts, 'os.version_id', version, 'file', `${src}`);
      addFact(facts, 'os.id_like', [], 'file', src);
      addFact(facts, 'os.pretty_name', r.text.split('\n')[0]!.trim().slice(0, 120), 'file', src);
      break;
    }
  }
  const host = root.isLive ? readValueFile(root, '/proc/sys/kernel/hostname') : null;
  if (host?.ok) addFact(facts, 'host.hostname', host.value, 'file', '/proc/sys/kernel/hostname');
  else if (root.manifest?.hostname)
    addFact(facts, 'host.hostname', root.manifest.hostname, 'file', 'snapshot manifest');
  else {
    const h = readValueFile(root, '/etc/hostname');
    if (h.ok && /^[A-Za-z0-9.-]{1,253}$/.test(h.value))
      addFact(facts, 'host.hostname', h.value, 'file', root.display('/etc/hostname'));
  }
}
