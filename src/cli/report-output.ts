// What the scanner conventions mean for every reporting command: where output goes (-o), which severities count
// (--severity), what exit code they give (--exit-code, --fail-on), and what the ignore file set aside.
import { UsageError } from '../errors.js';
import type { IgnoreOutcome } from '../evaluate/apply-ignores.js';
import { SEVERITIES, type Severity } from '../rules/rule.js';
import type { CliIo } from './io.js';
import type { Options } from './options.js';
import { writeOutputFile } from './output-file.js';

/** The output goes to -o FILE, else to standard output. */
export function emit(io: CliIo, opts: Options, body: string): void {
  const file = opts.get('output');
  if (file === undefined) io.stdout.write(body);
  else writeOutputFile(file, body);
}

/** --severity LIST: the severities that count (all by default). */
export function countedSeverities(opts: Options): Set<Severity> {
  const v = opts.get('severity');
  if (v === undefined) return new Set(SEVERITIES);
  const out = new Set<Severity>();
  for (const s of v.toLowerCase().split(',')) {
    const t = s.trim();
    if (!(SEVERITIES as readonly string[]).includes(t))
      throw new UsageError(`${opts.label('severity')}: "${t}" is not a severity (${SEVERITIES.join(', ')})`);
    out.add(t as Severity);
  }
  return out;
}

/**
 * The exit code: --fail-on SEVERITY gives 1 when a failure at or above it remains; --exit-code N gives N when
 * anything counted remains (Trivy's convention); otherwise 0 — the command ran.
 */
export function exitCodeFor(
  opts: Options,
  remaining: readonly { severity: string }[],
  failures: readonly { severity: string }[],
): number {
  const failOn = opts.choice<Severity>('fail-on');
  if (failOn) {
    const min = SEVERITIES.indexOf(failOn);
    if (failures.some((f) => SEVERITIES.indexOf(f.severity as Severity) >= min)) return 1;
  }
  const code = opts.get('exit-code') === undefined ? 0 : Number(opts.get('exit-code'));
  if (!Number.isInteger(code) || code < 0 || code > 255)
    throw new UsageError(`${opts.label('exit-code')} must be 0 to 255`);
  return code !== 0 && remaining.length > 0 ? code : 0;
}

/** Notes on standard error about the ignore file, unless --quiet. */
export function noteIgnores(io: CliIo, opts: Options, outcome: IgnoreOutcome): void {
  if (opts.has('quiet')) return;
  for (const e of outcome.expired)
    io.stderr.write(`ctrsafe: ignore entry for ${e.id} expired on ${e.expires} (${e.where}); not applied\n`);
  const n = outcome.applied.reduce((s, a) => s + a.matched, 0);
  if (n > 0)
    io.stderr.write(
      `ctrsafe: ${n} result${n === 1 ? '' : 's'} ignored by ${outcome.applied.length} ignore entr${outcome.applied.length === 1 ? 'y' : 'ies'}\n`,
    );
}
