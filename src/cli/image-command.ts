// `ctrsafe image audit IMAGE...` and `ctrsafe image sanitize IN OUT.sqfs`: vet images without mounting or extracting them.
import { auditImage, type ImageReport } from '../image/audit-image.js';
import { loadPolicy } from '../image/image-policy.js';
import { loadKeyring } from '../image/sif/keyring.js';
import { SEVERITIES, type Severity } from '../rules/rule.js';
import { renderImageSarif } from '../render/render-image-sarif.js';
import { renderImageText } from '../render/render-image-text.js';
import { makeStyle, wantColour } from '../render/style.js';
import { escapeControl } from '../render/terminal-text.js';
import { toolVersion } from '../tool-version.js';
import { UsageError } from '../errors.js';
import type { CliIo } from './io.js';
import { flag, oneOf, parseArgs } from './parse-args.js';

export const IMAGE_HELP = `Usage: ctrsafe image audit IMAGE... [--policy FILE] [--keyring FILE|DIR]... [--format text|json|sarif] [--fail-on SEVERITY]
       ctrsafe image verify IMAGE... [--keyring FILE|DIR]... [--require trusted|any] [--format text|json]
       ctrsafe image ecl [--keyring FILE|DIR]... [--path DIR]... [--mode whitelist|whitestrict] [-o FILE]
       ctrsafe image sanitize IN OUT.sqfs [--owner UID:GID] [--policy FILE]

audit     reads SIF, squashfs, ext3, OCI layouts, docker-save and plain tar archives (gzip, xz, zstd) and
          directories byte by byte, without mounting or extracting them, and reports setuid/setgid files,
          file capabilities, xattrs, device nodes, world-writable paths, foreign owners, escaping links,
          unsafe archive names, duplicates, whiteout-hidden files, and the image file's own permissions;
          a SIF's signatures are verified against --keyring (armored OpenPGP and PEM public keys)
verify    checks SIF signatures as apptainer verify does: verified, signed-untrusted-key, signed-partially,
          signature-invalid or unsigned, with keys, signing time and covered objects
ecl       writes Apptainer's and SingularityCE's execution control list (ecl.toml) from the keyring's
          OpenPGP keys, so the runtime itself refuses unsigned images when it opens them
sanitize  writes a squashfs following Shifter's advice (no xattrs, no setuid/setgid bits, no device
          nodes, root as owner) and refuses to keep it if its own audit still finds anything
`;

export async function imageCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'sanitize') {
    const { sanitizeCommand } = await import('./sanitize-command.js');
    return sanitizeCommand(rest, io);
  }
  if (sub === 'verify') return (await import('./verify-command.js')).verifyCommand(rest, io);
  if (sub === 'ecl') return (await import('./ecl-command.js')).eclCommand(rest, io);
  const p = parseArgs(rest, [
    { name: 'policy', takesValue: true },
    { name: 'keyring', takesValue: true, repeatable: true },
    { name: 'format', short: 'f', takesValue: true },
    { name: 'fail-on', takesValue: true },
    { name: 'verbose', short: 'v', takesValue: false },
    { name: 'color', takesValue: true },
    { name: 'help', short: 'h', takesValue: false },
  ]);
  if (sub === undefined || sub === '--help' || sub === '-h' || p.flags.has('help')) {
    io.stdout.write(IMAGE_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'audit')
    throw new UsageError(`unknown image command "${sub}" (audit, verify, ecl or sanitize)`);
  if (p.positionals.length === 0) throw new UsageError('image audit needs at least one IMAGE');
  const format = oneOf(flag(p, 'format'), ['text', 'json', 'sarif'] as const, '--format') ?? 'text';
  const failOn = oneOf(flag(p, 'fail-on'), SEVERITIES, '--fail-on') as Severity | undefined;
  const policyFile = flag(p, 'policy');
  const policy = policyFile ? loadPolicy(policyFile) : null;
  const keyrings = p.flags.get('keyring') ?? [];
  const keyring = keyrings.length ? loadKeyring(keyrings) : null;
  const st = makeStyle(
    wantColour(
      io.env,
      io.stdout.isTTY === true,
      oneOf(flag(p, 'color'), ['auto', 'always', 'never'] as const, '--color') ?? 'auto',
    ),
  );
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true && format === 'text';
  const reports: ImageReport[] = [];
  for (const image of p.positionals) {
    const progress = tty
      ? (n: number) => io.stderr.write(`\r  ${escapeControl(image)}: ${n} entries read`)
      : undefined;
    const r = await auditImage(image, { policy, keyring, ...(progress ? { onProgress: progress } : {}) });
    if (tty) io.stderr.write('\r\x1b[K');
    reports.push(r);
    if (format === 'text') io.stdout.write(renderImageText(r, st, p.flags.has('verbose')));
  }
  if (format === 'json')
    io.stdout.write(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2) + '\n');
  if (format === 'sarif') io.stdout.write(renderImageSarif(reports, toolVersion()));
  if (failOn) {
    const min = SEVERITIES.indexOf(failOn);
    if (
      reports.some((r) =>
        r.findings.some((f) => f.status === 'fail' && SEVERITIES.indexOf(f.severity) >= min),
      )
    )
      return 1;
  }
  return 0;
}
