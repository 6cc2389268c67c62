// `ctrsafe image verify IMAGE... --keyring FILE|DIR`: a SIF's signatures checked as `apptainer verify` checks them.
import { InputError } from '../errors.js';
import { detectFormat } from '../image/detect-format.js';
import { loadKeyring } from '../image/sif/keyring.js';
import type { SignatureReport } from '../image/sif/signature-verdict.js';
import { verifySif } from '../image/sif/verify-sif.js';
import { acceptsSignature, type RequireSignature } from '../image/signature-findings.js';
import { signatureLine } from '../render/render-image-text.js';
import { makeStyle, wantColour } from '../render/style.js';
import type { CommandContext } from './spec.js';

export async function verifyCommand({ io, opts, args }: CommandContext): Promise<number> {
  const format = opts.choice<'text' | 'json'>('format') ?? 'text';
  const require = opts.choice<RequireSignature>('require') ?? 'trusted';
  const sources = opts.all('keyring');
  const keyring = sources.length ? loadKeyring(sources) : null;
  const colour = opts.has('no-color')
    ? 'never'
    : (opts.choice<'auto' | 'always' | 'never'>('color') ?? 'auto');
  const st = makeStyle(wantColour(io.env, io.stdout.isTTY === true, colour));
  const results: { image: string; signature: SignatureReport }[] = [];
  for (const image of args) {
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
