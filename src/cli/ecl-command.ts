// `ctrsafe image ecl`: writes the runtimes' execution control list from the site keyring, so Apptainer and
// SingularityCE themselves refuse a SIF not signed by the site's keys when they open it (after any prolog verdict).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { eclFromKeys, renderEcl, validateEcl } from '../image/sif/ecl.js';
import { DEFAULT_KEYRING, loadKeyring } from '../image/sif/keyring.js';
import { toolVersion } from '../tool-version.js';
import type { CliIo } from './io.js';
import { flag, oneOf, parseArgs } from './parse-args.js';

export const ECL_HELP = `Usage: ctrsafe image ecl [--keyring FILE|DIR]... [--path DIR]... [--mode whitelist|whitestrict] [-o FILE]

Writes an execution control list (ecl.toml) for Apptainer (/etc/apptainer/ecl.toml) and SingularityCE
(/usr/local/etc/singularity/ecl.toml): activated, legacy signatures refused, the keyring's OpenPGP fingerprints
whitelisted (default keyring ${DEFAULT_KEYRING}). Without --path the list applies to SIFs in every directory; with
--path DIR (repeatable) only SIFs in exactly those directories may run. The runtime checks signatures with its
global keyring: import the same keys with \`apptainer key import --global FILE\`. PEM keys (DSSE signatures) cannot
be listed: the ECL matches fingerprints that only OpenPGP signatures record.
-o FILE replaces FILE atomically (never writing through a link); without it the list goes to standard output.
`;

/**
 * Replaces `file` with `text`: a new file (O_EXCL|O_NOFOLLOW) beside it, mode set on the open file, fsynced, renamed
 * over the target, in a directory only root or this user can write (issue 13's safe-write rules).
 */
export function writeReplacing(file: string, text: string, mode: number): void {
  const dir = fs.realpathSync(path.dirname(path.resolve(file)));
  const st = fs.statSync(dir);
  const me = process.geteuid?.() ?? st.uid;
  if (!st.isDirectory() || (st.uid !== 0 && st.uid !== me) || (st.mode & 0o022) !== 0)
    throw new InputError(
      `${dir}: owned by uid ${st.uid} with mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}: ctrsafe writes only in a directory only root${me !== 0 ? ' or you' : ''} can write`,
    );
  const target = path.join(dir, path.basename(file));
  const tmp = path.join(dir, `.${path.basename(file)}.ctrsafe-${randomBytes(8).toString('hex')}.tmp`);
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const fd = fs.openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
  try {
    fs.fchmodSync(fd, mode);
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, target);
  const dfd = fs.openSync(dir, fs.constants.O_RDONLY);
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
}

function realDir(p: string): string | null {
  try {
    return fs.statSync(p).isDirectory() ? fs.realpathSync(p) : null;
  } catch {
    return null;
  }
}

export async function eclCommand(args: string[], io: CliIo): Promise<number> {
  const p = parseArgs(args, [
    { name: 'keyring', takesValue: true, repeatable: true },
    { name: 'path', takesValue: true, repeatable: true },
    { name: 'mode', takesValue: true },
    { name: 'output', short: 'o', takesValue: true },
    { name: 'help', short: 'h', takesValue: false },
  ]);
  if (p.flags.has('help')) {
    io.stdout.write(ECL_HELP);
    return 0;
  }
  if (p.positionals.length > 0) throw new UsageError(`image ecl takes no IMAGE (got ${p.positionals[0]})`);
  const sources = p.flags.get('keyring') ?? [DEFAULT_KEYRING];
  const keyring = loadKeyring(sources);
  const keys = await keyring.list();
  const pgp = keys.filter((k) => k.kind === 'openpgp');
  if (pgp.length === 0)
    throw new InputError(
      `${sources.join(', ')}: no OpenPGP public key; an ECL lists OpenPGP fingerprints only (PEM keys sign DSSE envelopes, which record none)`,
    );
  const mode = oneOf(flag(p, 'mode'), ['whitelist', 'whitestrict'] as const, '--mode') ?? 'whitelist';
  const cfg = eclFromKeys(
    pgp.map((k) => k.fingerprint),
    { paths: p.flags.get('path') ?? [], mode },
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
  const out = flag(p, 'output');
  if (out === undefined) io.stdout.write(text);
  else {
    writeReplacing(out, text, 0o644);
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
