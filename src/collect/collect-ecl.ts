// Collects the execution control list of Apptainer and SingularityCE (ecl.toml beside their configuration), and
// whether the site keeps trusted signing keys for ctrsafe (/etc/ctrsafe/keys), for the ECL rules.
import * as path from 'node:path';
import type { HostRoot } from '../host/host-root.js';
import { addFact, type Facts } from '../facts/fact.js';
import { describeGroups, parseEcl, requiredKeys, validateEcl } from '../image/sif/ecl.js';
import { DEFAULT_KEYRING, MAX_KEY_FILE_BYTES, MAX_KEY_FILES } from '../image/sif/keyring.js';
import { RUNTIMES, type RuntimeId } from '../runtimes/locations.js';
import { readProblem } from './read-helpers.js';

/** The runtimes that read an ECL (buildcfg ECL_FILE = <confdir>/ecl.toml in both trees). */
export const ECL_RUNTIMES: RuntimeId[] = ['apptainer', 'singularity-ce'];
const MAX_ECL = 256 * 1024;

/** ecl.toml beside the configuration file that was read, or beside the first default location. */
function eclPath(facts: Facts, id: RuntimeId): string {
  const conf = facts.get(`runtime.${id}.config`)?.value;
  return path.posix.join(
    path.posix.dirname(typeof conf === 'string' ? conf : RUNTIMES[id].configs[0]!),
    'ecl.toml',
  );
}

/**
 * How many files of the site keyring hold an OpenPGP public key: the keys an ECL can list. Only the armor label is
 * looked at (no key is parsed: check stays as fast as it was).
 */
function collectKeyringFacts(root: HostRoot, facts: Facts): void {
  const shown = root.display(DEFAULT_KEYRING);
  const list = root.list(DEFAULT_KEYRING, MAX_KEY_FILES + 1);
  if (!list.ok) {
    addFact(facts, 'ctrsafe.keyring.openpgp_files', 0, 'file', `${shown}: ${list.reason}`);
    return;
  }
  const names = list.names.filter((n) => !n.startsWith('.')).slice(0, MAX_KEY_FILES);
  const pgp = names.filter((n) => {
    const r = root.readText(path.posix.join(DEFAULT_KEYRING, n), MAX_KEY_FILE_BYTES);
    return r.ok && !r.truncated && r.text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----');
  });
  addFact(
    facts,
    'ctrsafe.keyring.openpgp_files',
    pgp.length,
    'file',
    `${shown}: ${names.length} key file${names.length === 1 ? '' : 's'}, ${pgp.length} with an OpenPGP public key${pgp.length ? ` (${pgp.join(', ')})` : ''}`,
  );
}

export function collectEclFacts(root: HostRoot, facts: Facts): void {
  collectKeyringFacts(root, facts);
  for (const id of ECL_RUNTIMES) {
    if (facts.get(`runtime.${id}.installed`)?.value !== true) continue;
    const pfx = `runtime.${id}.ecl`;
    const p = eclPath(facts, id);
    const shown = root.display(p);
    const r = root.readText(p, MAX_ECL);
    if (!r.ok && r.missing) {
      addFact(facts, `${pfx}.present`, false, 'file', `${shown} does not exist`);
      addFact(facts, `${pfx}.activated`, false, 'file', `${shown} does not exist: no execution control list`);
      continue;
    }
    addFact(facts, `${pfx}.present`, true, 'file', `read ${shown}`);
    const problem = readProblem(r, root, MAX_ECL);
    if (problem !== null) {
      addFact(facts, `${pfx}.problem`, problem, 'file', problem);
      continue;
    }
    const st = root.stat(p);
    // Both runtimes refuse an ECL root does not own in setuid mode (prepare_linux.go: IsOwner / OpenTrustedFile).
    if (st.ok && st.ownerKnown && (st.uid !== 0 || (st.perm & 0o022) !== 0)) {
      const why = `${shown}: mode ${(st.perm & 0o7777).toString(8).padStart(4, '0')}, uid ${st.uid}: a user who can write it can turn the list off, and setuid ${RUNTIMES[id].name} refuses to start with it`;
      addFact(facts, `${pfx}.problem`, why, 'file', why);
    }
    let cfg;
    try {
      cfg = parseEcl((r as { text: string }).text);
    } catch (e) {
      // syecl.LoadConfig fails: Apptainer then skips the ECL altogether, SingularityCE refuses every SIF.
      const why = `${shown}: ${(e as Error).message}; ${id === 'apptainer' ? 'Apptainer ignores an ECL it cannot parse: the list is off' : 'SingularityCE refuses every SIF while it cannot parse it'}`;
      addFact(facts, `${pfx}.problem`, why, 'file', why);
      if (id === 'apptainer') addFact(facts, `${pfx}.activated`, false, 'file', why);
      continue;
    }
    addFact(facts, `${pfx}.activated`, cfg.activated, 'file', `${shown}: activated = ${cfg.activated}`);
    addFact(
      facts,
      `${pfx}.legacyinsecure`,
      cfg.legacyinsecure,
      'file',
      `${shown}: legacyinsecure = ${cfg.legacyinsecure}`,
    );
    const required = requiredKeys(cfg);
    addFact(
      facts,
      `${pfx}.keys`,
      required.length,
      'file',
      `${shown}: ${cfg.execgroups.length ? describeGroups(cfg) : 'no execgroup'}${required.length ? `; keys ${required.join(', ')}` : ''}`,
    );
    const bad = validateEcl(cfg, (d) => {
      const s = root.stat(d);
      return s.ok && s.type === 'dir' && path.posix.normalize(d) === d && !d.endsWith('/')
        ? d
        : s.ok
          ? path.posix.normalize(d)
          : null;
    });
    if (bad.length && !facts.has(`${pfx}.problem`)) {
      const why = `${shown}: ${bad[0]}${bad.length > 1 ? ` (+${bad.length - 1} more)` : ''}; ${RUNTIMES[id].name} refuses every SIF while the list does not validate`;
      addFact(facts, `${pfx}.problem`, why, 'file', why);
    }
  }
}
