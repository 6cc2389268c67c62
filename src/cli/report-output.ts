// What the scanner conventions mean for every reporting command: where output goes (-o), which severities count
// (--severity), what exit code they give (--exit-code, --fail-on), and what the ignore file set aside.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError, UsageError } from '../errors.js';
import { SafeDir } from '../host/safe-write.js';
import type { IgnoreOutcome } from '../evaluate/apply-ignores.js';
import { SEVERITIES, type Severity } from '../rules/rule.js';
import type { CliIo } from './io.js';
import type { Options } from './options.js';

/**
 * -o FILE: written whole or not at all through SafeDir (a new temporary name, O_EXCL|O_NOFOLLOW, fsynced, renamed
 * over FILE). As root, in a directory reached without passing through one another user can write, so a user
 * cannot swap a directory or plant a link on the way and have ctrsafe write where they chose; a sticky directory
 * such as /tmp will do. An existing device, FIFO or link in a directory only root or this user can change was put
 * there by them (-o /dev/null, -o /dev/stdout): it is written to, never replaced; anywhere else a name that is not
 * a regular file is replaced, never written through.
 */
export function writeOutputFile(file: string, body: string, mode = 0o644, depth = 0): void {
  const abs = path.resolve(file);
  const base = path.basename(abs);
  let dir: SafeDir;
  try {
    dir =
      process.getuid?.() === 0
        ? SafeDir.open(path.dirname(abs), { sticky: true })
        : SafeDir.openAsCaller(path.dirname(abs));
  } catch (e) {
    throw new InputError(`-o ${file}: cannot write there: ${(e as Error).message}`);
  }
  try {
    const st = fs.lstatSync(dir.at(base), { throwIfNoEntry: false });
    if (st?.isDirectory()) throw new InputError(`-o ${file}: is a directory`);
    if (st && !st.isFile() && dir.closed) {
      const target = writeThrough(dir.at(base), body);
      if (target === 'regular') {
        // A link to a regular file: written as any -o FILE is, at the file it names, walked again.
        if (depth >= 8) throw new InputError(`-o ${file}: too many levels of symbolic links`);
        writeOutputFile(fs.realpathSync(dir.at(base)), body, mode, depth + 1);
      }
      return;
    }
    dir.writeFile(base, body, mode);
  } catch (e) {
    throw e instanceof InputError && e.message.startsWith('-o ')
      ? e
      : new InputError(`-o ${file}: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    dir.close();
  }
}

/** Writes BODY to the device or pipe AT names (no file is created); 'regular' when it names a regular file. */
function writeThrough(at: string, body: string): 'written' | 'regular' {
  const fd = fs.openSync(at, fs.constants.O_WRONLY | fs.constants.O_NOCTTY);
  try {
    if (fs.fstatSync(fd).isFile()) return 'regular';
    const buf = Buffer.from(body);
    for (let off = 0; off < buf.length;) off += fs.writeSync(fd, buf, off, buf.length - off);
    return 'written';
  } finally {
    fs.closeSync(fd);
  }
}

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
