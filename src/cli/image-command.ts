// `ctrsafe image audit IMAGE...`: vet images without mounting or extracting them; a SIF's signatures verified.
import * as fs from 'node:fs';
import { UsageError } from '../errors.js';
import { applyIgnores, type IgnoreOutcome } from '../evaluate/apply-ignores.js';
import { auditImage, type ImageReport } from '../image/audit-image.js';
import { loadPolicy } from '../image/image-policy.js';
import type { ImageProfile } from '../image/image-profile.js';
import { loadKeyring } from '../image/sif/keyring.js';
import type { Severity } from '../rules/rule.js';
import { renderImageSarif } from '../render/render-image-sarif.js';
import { renderImageCsv, renderImageJunit } from '../render/render-image-tables.js';
import { renderImageText } from '../render/render-image-text.js';
import { escapeControl } from '../render/terminal-text.js';
import { makeStyle, wantColour } from '../render/style.js';
import { toolVersion } from '../tool-version.js';
import { loadIgnoreFile } from './ignore-file.js';
import { countedSeverities, emit, exitCodeFor, noteIgnores } from './report-output.js';
import type { CommandContext } from './spec.js';

/** What --severity and the ignore file leave of one image's report, its summary recounted (pure). */
function narrowImageReport(
  r: ImageReport,
  severities: ReadonlySet<Severity>,
  ignores: ReturnType<typeof loadIgnoreFile>,
  now: Date,
): { report: ImageReport; outcome: IgnoreOutcome } {
  const counted = r.findings.filter((f) => f.status === 'pass' || severities.has(f.severity));
  const { kept, outcome } = applyIgnores(counted, (f) => [f.id], ignores, r.image.path, now);
  const n = (s: string) => kept.filter((f) => f.status === s).length;
  return {
    report: { ...r, findings: kept, summary: { fail: n('fail'), warn: n('warn'), pass: n('pass') } },
    outcome,
  };
}

export async function imageAuditCommand({ io, opts, args }: CommandContext): Promise<number> {
  const format = opts.choice<'text' | 'json' | 'sarif' | 'csv' | 'junit'>('format') ?? 'text';
  const policyFile = opts.get('policy');
  const policy = policyFile ? loadPolicy(policyFile) : null;
  const profile = opts.choice<ImageProfile>('profile');
  const keyring = opts.all('keyring').length ? loadKeyring(opts.all('keyring')) : null;
  const severities = countedSeverities(opts);
  const ignores = loadIgnoreFile(opts.get('ignorefile'), process.geteuid?.() ?? -1);
  // Every image is named before any is read: a typo in the fifth name should not cost the first four's reading.
  for (const image of args)
    if (!fs.existsSync(image)) throw new UsageError(`${image}: no such file or directory`);
  const colour = opts.has('no-color')
    ? 'never'
    : (opts.choice<'auto' | 'always' | 'never'>('color') ?? 'auto');
  const st = makeStyle(
    opts.get('output') === undefined && wantColour(io.env, io.stdout.isTTY === true, colour),
  );
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true && !opts.has('quiet');
  const now = new Date();
  const reports: ImageReport[] = [];
  const texts: string[] = [];
  const outcomes: IgnoreOutcome[] = [];
  for (const image of args) {
    const progress = tty
      ? (n: number) => io.stderr.write(`\r  ${escapeControl(image)}: ${n} entries read`)
      : undefined;
    const full = await auditImage(image, {
      policy,
      keyring,
      ...(profile ? { profile } : {}),
      ...(progress ? { onProgress: progress } : {}),
    });
    if (tty) io.stderr.write('\r\x1b[K');
    const { report, outcome } = narrowImageReport(full, severities, ignores, now);
    reports.push(report);
    outcomes.push(outcome);
    if (format === 'text') texts.push(renderImageText(report, st, opts.has('verbose')));
  }
  if (format === 'text') emit(io, opts, texts.join(''));
  else if (format === 'json')
    emit(io, opts, JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2) + '\n');
  else if (format === 'sarif') emit(io, opts, renderImageSarif(reports, toolVersion()));
  else if (format === 'csv') emit(io, opts, renderImageCsv(reports));
  else emit(io, opts, renderImageJunit(reports));
  if (ignores.length)
    noteIgnores(io, opts, {
      applied: outcomes.flatMap((o) => o.applied),
      expired: outcomes[0]?.expired ?? [],
    });
  const failures = reports.flatMap((r) => r.findings.filter((f) => f.status === 'fail'));
  return exitCodeFor(opts, failures, failures);
}
