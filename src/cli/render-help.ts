// Renders --help text from the command declarations (pure): usage, description, options, sections, examples.
import { optionsOf, type CommandSpec, type OptionSpec } from './spec.js';

const WIDTH = 100;
const COLUMN = 28;

/** Words wrapped to the width, each line after the first indented. */
export function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(/ +/)) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
  }
  return lines.map((l, i) => (i === 0 ? l : indent + l));
}

export function optionLabel(o: OptionSpec): string {
  const names = [o.short ? `-${o.short}` : null, `--${o.name}`, ...(o.aliases ?? []).map((a) => `--${a}`)]
    .filter(Boolean)
    .join(', ');
  return o.value ? `${names} ${o.value}` : names;
}

/** The description with what help adds: choices, default, environment variable. */
export function optionText(o: OptionSpec): string {
  const extra: string[] = [];
  if (o.choices && !o.description.includes(o.choices[0]!)) extra.push(`one of ${o.choices.join(', ')}`);
  if (o.default !== undefined) extra.push(`default ${o.default}`);
  if (o.env) extra.push(`env ${o.env}`);
  if (!extra.length) return o.description;
  // "... (root only)" + "default nobody" reads "... (root only; default nobody)".
  return o.description.endsWith(')')
    ? `${o.description.slice(0, -1)}; ${extra.join('; ')})`
    : `${o.description} (${extra.join('; ')})`;
}

export function usageLine(spec: CommandSpec, words: readonly string[]): string {
  const name = `ctrsafe ${words.join(' ')}`;
  if (spec.subcommands?.length && !spec.load) return `${name} COMMAND [options]`;
  const hasOptions = (spec.options ?? []).some((o) => !o.hidden);
  return [name, hasOptions ? '[options]' : '', spec.args?.usage ?? ''].filter(Boolean).join(' ');
}

function table(rows: readonly [string, string][]): string[] {
  const w = Math.max(...rows.map(([name]) => name.length)) + 3;
  return rows.map(([name, summary]) => `  ${name.padEnd(w)}${summary}`);
}

const commandList = (subs: readonly CommandSpec[]) => table(subs.map((c) => [c.name, c.summary]));

export function renderHelp(spec: CommandSpec, words: readonly string[]): string {
  // A command with a handler of its own and subcommands (run, run cache): both usages.
  const usages = [usageLine(spec, words)];
  if (spec.load && spec.subcommands?.length) usages.push(`ctrsafe ${words.join(' ')} COMMAND [options]`);
  const out = [`Usage: ${usages.join('\n       ')}`, '', ...wrap(spec.description, WIDTH, ''), ''];
  if (spec.subcommands?.length) {
    out.push('Commands:', ...commandList(spec.subcommands), '');
    out.push(`Run "ctrsafe ${words.join(' ')} COMMAND --help" for a command's options.`);
  }
  const opts = optionsOf(spec).filter((o) => !o.hidden);
  if (spec.load && opts.length) {
    if (spec.subcommands?.length) out.push('');
    out.push('Options:');
    for (const o of opts) {
      const label = `  ${optionLabel(o)}`;
      const text = wrap(optionText(o), WIDTH - COLUMN, ' '.repeat(COLUMN));
      if (label.length + 2 > COLUMN) out.push(label, ' '.repeat(COLUMN) + text.join('\n'));
      else out.push(label.padEnd(COLUMN) + text.join('\n'));
    }
  }
  for (const s of spec.sections ?? [])
    out.push('', `${s.title}:`, ...wrap(s.body, WIDTH - 2, '  ').map((l, i) => (i === 0 ? `  ${l}` : l)));
  if (spec.examples?.length) {
    out.push('', 'Examples:');
    for (const e of spec.examples)
      out.push(
        `  ${e.command}`,
        ...wrap(e.says, WIDTH - 6, '      ').map((l, i) => (i === 0 ? `      ${l}` : l)),
      );
  }
  return out.join('\n').replace(/\n+$/, '') + '\n';
}

/** `ctrsafe --help`: every command and subcommand with its summary. */
export function renderTopHelp(roots: readonly CommandSpec[], tagline: string, footer: string): string {
  const rowsOf = (c: CommandSpec, words: string[]): [string, string][] => [
    ...(c.load ? [[words.join(' '), c.summary] as [string, string]] : []),
    ...(c.subcommands ?? []).flatMap((s) => rowsOf(s, [...words, s.name])),
  ];
  const rows = roots.flatMap((c) => rowsOf(c, [c.name]));
  return (
    [
      tagline,
      '',
      'Usage: ctrsafe COMMAND [options]',
      '',
      'Commands:',
      ...table(rows),
      '',
      ...wrap(footer, WIDTH, ''),
    ].join('\n') + '\n'
  );
}
