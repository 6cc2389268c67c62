// Dispatches a ctrsafe command line; returns the exit code and never calls process.exit itself.
import { describeError, UsageError } from '../errors.js';
import { escapeControl } from '../render/terminal-text.js';
import { toolVersion } from '../tool-version.js';
import { checkCommand } from './check-command.js';
import type { CliIo } from './io.js';

export const HELP = `ctrsafe: facts, not rumour, about container security on HPC hosts.

Usage:
  ctrsafe check [--root DIR] [--format text|json] [--fail-on SEVERITY] [--explain RULE]
  ctrsafe gate [--policy FILE] [--slurm-drain]   pass or fail this node in one line (Slurm, NHC, prolog)
  ctrsafe gate --image PATH   refuse an image that fails the site's image policy (verdicts cached by digest)
  ctrsafe run [options] IMAGE -- COMMAND   a hardened unprivileged launch on bubblewrap
  ctrsafe snapshot -o DIR     copy what check reads, plus probe results, for check --root elsewhere
  ctrsafe image audit IMAGE... [--policy FILE]   vet SIF, squashfs, ext3, OCI, tar images and directories
  ctrsafe image verify IMAGE... --keyring DIR   verify SIF signatures as apptainer verify does
  ctrsafe image ecl --keyring DIR [-o FILE]      write Apptainer's execution control list from the keyring
  ctrsafe image sanitize IN OUT.sqfs            rebuild an image the way Shifter advises
  ctrsafe db status | db update --from PATH   the offline advisory database
  ctrsafe fleet serve --db URL [--listen HOST:PORT]   the fleet API and dashboard
  ctrsafe fleet collect --slurm | --pdsh HOSTLIST --db URL   run check on every node, store the reports
  ctrsafe fleet ingest DIR --db URL             store reports nodes wrote to a shared file system
  ctrsafe fleet summary | nodes | plan --db URL the fleet from the command line
  ctrsafe rules [--markdown|--json]
  ctrsafe --version

Run "ctrsafe COMMAND --help" for a command's options.
Exit codes: 0 ran; 1 --fail-on matched (gate: the node fails); 2 usage error; 3 host root unreadable; 4 invalid input;
70 internal error. ctrsafe run returns the command's status, or 125 when it refused or failed before the launch.
`;

export async function main(io: CliIo): Promise<number> {
  const [cmd, ...rest] = io.argv;
  try {
    switch (cmd) {
      case 'check':
        return await checkCommand(rest, io);
      case 'snapshot':
        return await (await import('./snapshot-command.js')).snapshotCommand(rest, io);
      case 'rules':
        return (await import('./rules-command.js')).rulesCommand(rest, io);
      case 'db':
        return (await import('./db-command.js')).dbCommand(rest, io);
      case 'image':
        // Loaded on demand: image readers and database drivers are not part of a check's start-up.
        return await (await import('./image-command.js')).imageCommand(rest, io);
      case 'run':
        return await (await import('./run-command.js')).runCommand(rest, io);
      case 'gate':
        return await (await import('./gate-command.js')).gateCommand(rest, io);
      case 'fleet':
        return await (await import('./fleet-command.js')).fleetCommand(rest, io);
      case '--version':
      case 'version':
        io.stdout.write(`ctrsafe ${toolVersion()}\n`);
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.stdout.write(HELP);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${cmd}" (try ctrsafe --help)`);
    }
  } catch (err) {
    const { message, exitCode } = describeError(err);
    io.stderr.write(`ctrsafe: ${escapeControl(message)}\n`);
    if (exitCode === 70 && io.env.CTRSAFE_DEBUG) io.stderr.write(String((err as Error).stack) + '\n');
    return exitCode;
  }
}
