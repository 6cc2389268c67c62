// `ctrsafe image verify IMAGE... --keyring FILE|DIR`: a SIF's signatures checked as `apptainer verify` checks them.
import { InputError, UsageError } from '../errors.js';
import { detectFormat } from '../image/detect-format.js';
import { loadKeyring } from '../image/sif/keyring.js';
import type { SignatureReport } from '../image/sif/signature-verdict.js';
import { verifySif } from '../image/sif/verify-sif.js';
import { acceptsSignature, REQUIRE_SIGNATURE, type RequireSignature } from '../image/signature-findings.js';
import { signatureLine } from '../render/render-image-text.js';
import { makeStyle, wantColour } from '../render/style.js';
import type { CliIo } from './io.js';
import { flag, oneOf, parseArgs } from './parse-args.js';

export const VERIFY_HELP = `Usage: ctrsafe image verify IMAGE... [--keyring FILE|DIR]... [--require trusted|any] [--format text|json]

Verifies a SIF's signatures as apptainer verify does, without Apptainer: the digests the signatures carry against the
header, descriptors and objects of each group (read once), the OpenPGP or DSSE signature against the keyring's
armored OpenPGP and PEM public keys. One verdict per image: verified, signed-untrusted-key, signed-partially,
signature-invalid or unsigned, with the signing keys, time and covered objects.
Exit status: 0 when every image meets --require (default trusted: verified only; any: a complete, unchanged
signature by any key), 1 otherwise.
`;

export async function verifyCommand(args: string[], io: CliIo): Promise<number> {
  const p = parseArgs(args, [
    { name: 'keyring', takesValue: true, repeatable: true },
    { name: 'require', takesValue: true },
    { name: 'format', short: 'f', takesValue: true },
    { name: 'color', takesValue: true },
    { name: 'help', short: 'h', takesValue: false },
  ]);
  if (p.flags.has('help')) {
    io.stdout.write(VERIFY_HELP);
    return 0;
  }
  if (p.positionals.length === 0) throw new UsageError('image verify needs at least one IMAGE');
  const format = oneOf(flag(p, 'format'), ['text', 'json'] as const, '--format') ?? 'text';
  const require: RequireSignature = oneOf(flag(p, 'require'), REQUIRE_SIGNATURE, '--require') ?? 'trusted';
  const sources = p.flags.get('keyring') ?? [];
  const keyring = sources.length ? loadKeyring(sources) : null;
  const st = makeStyle(
    wantColour(
      io.env,
      io.stdout.isTTY === true,
      oneOf(flag(p, 'color'), ['auto', 'always', 'never'] as const, '--color') ?? 'auto',
    ),
  );
  const results: { image: string; signature: SignatureReport }[] = [];
  for (const image of p.positionals) {
    const { format: f } = detectFormat(image);
    if (f !== 'sif') throw new InputError(`${image}: a ${f} image, not a SIF: it carries no SIF signature`);
    results.push({ image, signature: await verifySif(image, { keyring }) });
  }
  if (format === 'json')
    io.stdout.write(JSON.stringify(results.length === 1 ? results[0] : results, null, 2) + '\n');
  else {
    for (const r of results) {
      io.stdout.write(`${r.image}\n  ${signatureLine(r.signature, st)}\n`);
      for (const s of r.signature.signatures)
        io.stdout.write(
          `  ${st.dim(`object ${s.object} (${s.legacy ? 'legacy ' : ''}${s.format}, ${s.target ?? 'no link'}): ${s.status}: ${s.detail}`)}\n`,
        );
    }
    if (keyring) {
      const keys = await keyring.list();
      io.stdout.write(
        `keyring ${keyring.sources.join(', ')}: ${keys.length} key${keys.length === 1 ? '' : 's'}${keys.length ? ` (${keys.map((k) => k.fingerprint).join(', ')})` : ''}\n`,
      );
    } else io.stdout.write('no keyring given (--keyring FILE|DIR): no signer can be trusted\n');
  }
  return results.every((r) => acceptsSignature(require, r.signature.verdict)) ? 0 : 1;
}
