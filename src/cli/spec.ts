// The one declaration of a command and its options: parsing, --help, man pages and shell completions come from it.
import type { CliIo } from './io.js';
import type { Options } from './options.js';

export interface OptionSpec {
  /** The long name, without dashes: "fail-on". */
  name: string;
  /** One letter: "o" for -o. */
  short?: string;
  /** Other long names that mean the same (Apptainer's --nv for --gpu). */
  aliases?: string[];
  /** The value's placeholder ("FILE"); an option without one is a flag. */
  value?: string;
  /** The only values allowed. */
  choices?: readonly string[];
  /** May be given more than once; the values accumulate. */
  repeatable?: boolean;
  /** The default, as help shows it (the handler applies it). */
  default?: string;
  description: string;
  /** The environment variable that sets it when the option is not given. */
  env?: string;
  /** May /etc/ctrsafe/ctrsafe.conf set it (under the command's section, by this name)? Default yes. */
  config?: boolean;
  /** Internal plumbing between ctrsafe's own processes: parsed, never shown. */
  hidden?: boolean;
  /** What a shell should complete the value with. */
  complete?: 'file' | 'dir' | 'user' | 'none';
}

export interface ArgSpec {
  /** The placeholder help shows: "IMAGE", "IN OUT.sqfs". */
  usage: string;
  min: number;
  max: number;
  complete?: 'file' | 'dir' | 'none';
  /** Words after "--" are the command to run (ctx.command), not arguments. */
  dashCommand?: boolean;
}

export type Handler = (ctx: CommandContext) => Promise<number> | number;

export interface CommandContext {
  io: CliIo;
  opts: Options;
  /** Positional arguments (after options; everything after "--" included). */
  args: string[];
  /** The command's words: ["fleet", "serve"]. */
  path: string[];
  /** With args.dashCommand: the words after "--". */
  command: string[];
}

export interface CommandSpec {
  /** The word that selects it ("check", "serve"). */
  name: string;
  /** One line for command lists and the man page's NAME. */
  summary: string;
  /** Paragraphs for --help and the man page. */
  description: string;
  args?: ArgSpec;
  options?: OptionSpec[];
  /** A command with subcommands has no handler of its own. */
  subcommands?: CommandSpec[];
  /** Loaded on demand, so a command's code is read only when it runs. */
  load?: () => Promise<Handler>;
  examples?: { command: string; says: string }[];
  /** The exit status for ctrsafe's own failures, parsing included, where the command's own status is passed on (run: 125). */
  failureExit?: number;
  /** Extra help paragraphs, each with a heading ("Exit status", "Files"). */
  sections?: { title: string; body: string }[];
}

/** Every command accepts these. */
export const COMMON_OPTIONS: OptionSpec[] = [
  { name: 'help', short: 'h', description: 'show this help and exit', config: false },
];

export function optionsOf(spec: CommandSpec): OptionSpec[] {
  return [...(spec.options ?? []), ...COMMON_OPTIONS];
}

/** The spec at a path of words, and the words it took: ["fleet", "serve", "--db", ...] → fleet serve. */
export function findCommand(
  root: readonly CommandSpec[],
  argv: readonly string[],
): { spec: CommandSpec; path: string[]; rest: string[] } | null {
  let list = root;
  let spec: CommandSpec | null = null;
  const path: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const next = list.find((c) => c.name === argv[i]);
    if (!next) break;
    spec = next;
    path.push(next.name);
    list = next.subcommands ?? [];
    if (list.length === 0) {
      i++;
      break;
    }
  }
  return spec ? { spec, path, rest: argv.slice(i) } : null;
}
