// `ctrsafe image ecl`: writes the runtimes' execution control list from the site keyring, so Apptainer and
// SingularityCE themselves refuse a SIF not signed by the site's keys when they open it (after any prolog verdict).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { SafeDir } from '../host/safe-write.js';
import { eclFromKeys, renderEcl, validateEcl } from '../image/sif/ecl.js';
import { DEFAULT_KEYRING, loadKeyring } from '../image/sif/keyring.js';
import { toolVersion } from '../tool-version.js';
import type { CommandContext } from './spec.js';

function realDir(p: string): string | null {
  try {
    return fs.statSync(p).isDirectory() ? fs.realpathSync(p) : null;
  } catch {
    return null;
  }
}

export async function eclCommand({ io, opts }: CommandContext): Promise<number> {
  const sources = opts.all('keyring').length ? opts.all('keyring') : [DEFAULT_KEYRING];
  const keyring = loadKeyring(sources);
  const keys = await keyring.list();
  const pgp = keys.filter((k) => k.kind === 'openpgp');
  if (pgp.length === 0)
    throw new InputError(
      `${sources.join(', ')}: no OpenPGP public key; an ECL lists OpenPGP fingerprints only (PEM keys sign DSSE envelopes, which record none)`,
    );
  const mode = opts.choice<'whitelist' | 'whitestrict'>('mode') ?? 'whitelist';
  const cfg = eclFromKeys(
    pgp.map((k) => k.fingerprint),
    { paths: opts.all('path'), mode },
  );
  // The runtimes refuse every SIF when a dirpath is not absolute with its links resolved: caught here instead.
  const problems = validateEcl(cfg, realDir);
  if (problems.length) throw new UsageError(`--path: ${problems[0]}`);
  const skipped = keys.filter((k) => k.kind !== 'openpgp');
  const text = renderEcl(cfg, [
    `Execution control list for Apptainer and SingularityCE, written by ctrsafe ${toolVersion()} (ctrsafe image ecl)`,
    `from the keyring ${sources.join(', ')} (sha256 ${keyring.digest}).`,
    ...pgp.map((k) => `  ${k.fingerprint}  ${k.userId ?? ''}  (${path.basename(k.file)})`),
    ...(skipped.length
      ? [
          `Not listable here (DSSE keys; ctrsafe image verify and the gate check them): ${skipped.map((k) => k.fingerprint).join(', ')}`,
        ]
      : []),
    'The runtime verifies with its global keyring: apptainer key import --global FILE (singularity key import --global).',
    'The ECL binds only the setuid starter on hosts without unprivileged user namespaces (ecl.toml.example, WARNING).',
  ]);
  const out = opts.get('output');
  if (out === undefined) io.stdout.write(text);
  else {
    // As root into /etc: a directory only root can write, the file replaced atomically, never through a link.
    const dir = SafeDir.open(path.dirname(path.resolve(out)));
    try {
      dir.writeFile(path.basename(out), text, 0o644);
    } finally {
      dir.close();
    }
    io.stderr.write(
      `ctrsafe: wrote ${out}: ${pgp.length} OpenPGP key${pgp.length === 1 ? '' : 's'}, ${cfg.execgroups.length} execgroup${cfg.execgroups.length === 1 ? '' : 's'}\n`,
    );
  }
  if (skipped.length)
    io.stderr.write(
      `ctrsafe: ${skipped.length} PEM key${skipped.length === 1 ? '' : 's'} not in the ECL: it can list OpenPGP fingerprints only\n`,
    );
  return 0;
}
