// `ctrsafe snapshot -o DIR`: copies what `check` reads on this live host, plus probe results, for `check --root DIR`.
import { UsageError } from '../errors.js';
import { writeSnapshot } from '../snapshot/write-snapshot.js';
import { toolVersion } from '../tool-version.js';
import { runCheck } from './check-command.js';
import type { CliIo } from './io.js';
import { flag, parseArgs, positiveInt } from './parse-args.js';

export const SNAPSHOT_HELP = `Usage: ctrsafe snapshot -o DIR [--as-user NAME] [--probe-timeout MS]

Runs the live probes and copies every file ctrsafe check reads into DIR (new or empty), with a manifest of
modes, owners, capabilities, probe results and version outputs. "ctrsafe check --root DIR" on any machine
then gives the same answer as check on this host.
`;

export async function snapshotCommand(args: string[], io: CliIo): Promise<number> {
  const p = parseArgs(args, [
    { name: 'output', short: 'o', takesValue: true },
    { name: 'as-user', takesValue: true },
    { name: 'probe-timeout', takesValue: true },
    { name: 'help', short: 'h', takesValue: false },
  ]);
  if (p.flags.has('help')) {
    io.stdout.write(SNAPSHOT_HELP);
    return 0;
  }
  const out = flag(p, 'output');
  if (!out) throw new UsageError('snapshot needs -o DIR');
  if (p.positionals.length > 0)
    throw new UsageError(`snapshot takes no arguments (got "${p.positionals[0]}")`);
  const asUser = flag(p, 'as-user');
  const probeTimeoutMs = positiveInt(flag(p, 'probe-timeout'), '--probe-timeout', 60000);
  const { collected, root } = await runCheck({
    ...(asUser !== undefined ? { asUser } : {}),
    ...(probeTimeoutMs ? { probeTimeoutMs } : {}),
    env: io.env,
  });
  const s = writeSnapshot(root, collected, out, { version: toolVersion(), now: new Date() });
  io.stdout.write(
    `ctrsafe: snapshot written to ${out}: ${s.files} files, ${s.placeholders} placeholders, ${s.manifestEntries} modes recorded\n`,
  );
  return 0;
}
