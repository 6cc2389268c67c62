// Dispatches a ctrsafe command line by the declarations in commands/; returns the exit code, never exits itself.
import { describeError, UsageError } from '../errors.js';
import { escapeControl } from '../render/terminal-text.js';
import { COMMANDS, FOOTER, TAGLINE } from './commands/index.js';
import { loadConfig, settingsFor } from './config-file.js';
import type { CliIo } from './io.js';
import { checkArgs, parseCommandLine, suggest } from './options.js';
import { renderHelp, renderTopHelp } from './render-help.js';
import { findCommand, type CommandSpec } from './spec.js';

export const HELP = renderTopHelp(COMMANDS, TAGLINE, FOOTER);

/** `--config FILE` (or --config=FILE) may come before the command; it names the configuration file. */
function takeConfigOption(argv: readonly string[]): { configFile?: string; rest: string[] } {
  const [a, b] = argv;
  if (a === '--config') {
    if (b === undefined) throw new UsageError('--config needs a value (FILE)');
    return { configFile: b, rest: argv.slice(2) };
  }
  if (a?.startsWith('--config=')) return { configFile: a.slice('--config='.length), rest: argv.slice(1) };
  return { rest: [...argv] };
}

/** The command being run, so that its own failure status (run: 125) applies to errors on its command line too. */
let running: CommandSpec | null = null;

async function dispatch(io: CliIo): Promise<number> {
  running = null;
  const { configFile, rest: argv } = takeConfigOption(io.argv);
  const [first] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    io.stdout.write(HELP);
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === 'version') {
    // Loaded only here: it reads the advisory database, which no other start needs before its command runs.
    const { versionText } = await import('./version-text.js');
    io.stdout.write(versionText());
    return 0;
  }
  if (first === 'help') {
    if (argv.length === 1) {
      io.stdout.write(HELP);
      return 0;
    }
    const target = findCommand(COMMANDS, argv.slice(1));
    if (!target || target.rest.length > 0)
      throw new UsageError(`help: no command "${argv.slice(1).join(' ')}" (ctrsafe --help lists them)`);
    io.stdout.write(renderHelp(target.spec, target.path));
    return 0;
  }
  const found = findCommand(COMMANDS, argv);
  if (!found)
    throw new UsageError(
      `unknown command "${first}"${suggest(
        first,
        COMMANDS.map((c) => c.name),
      )} (ctrsafe --help lists them)`,
    );
  const { spec, path, rest } = found;
  running = spec;
  if (!spec.load) {
    const next = rest[0];
    if (next === undefined || next === '--help' || next === '-h') {
      io.stdout.write(renderHelp(spec, path));
      return next === undefined ? 2 : 0;
    }
    const names = (spec.subcommands ?? []).map((c) => c.name);
    throw new UsageError(
      `unknown command "${path.join(' ')} ${next}"${suggest(next, names)} (one of ${names.join(', ')})`,
    );
  }
  // Help first, from the command line alone: a broken configuration file must not hide it.
  if (parseCommandLine(spec, rest, {}).opts.has('help')) {
    io.stdout.write(renderHelp(spec, path));
    return 0;
  }
  const config = settingsFor(loadConfig(configFile, io.env, process.geteuid?.() ?? -1), COMMANDS, path);
  const { opts, args, command } = parseCommandLine(spec, rest, io.env, config);
  checkArgs(spec, path, args);
  const handler = await spec.load();
  return await handler({ io, opts, args, path, command });
}

export async function main(io: CliIo): Promise<number> {
  try {
    return await dispatch(io);
  } catch (err) {
    const { message, exitCode: code } = describeError(err);
    const exitCode = running?.failureExit ?? code;
    io.stderr.write(`ctrsafe${running?.failureExit ? ` ${running.name}` : ''}: ${escapeControl(message)}\n`);
    if (exitCode === 70 && io.env.CTRSAFE_DEBUG) io.stderr.write(String((err as Error).stack) + '\n');
    return exitCode;
  }
}
