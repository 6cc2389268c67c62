// Renders bash and zsh completion scripts from the command declarations (pure): commands, subcommands, options,
// and each option's values (its choices, files, directories or user names).
import { optionsOf, type CommandSpec, type OptionSpec } from './spec.js';

interface Node {
  words: string[];
  spec: CommandSpec;
}

function nodes(roots: readonly CommandSpec[]): Node[] {
  const out: Node[] = [];
  const walk = (spec: CommandSpec, words: string[]) => {
    out.push({ words, spec });
    for (const s of spec.subcommands ?? []) walk(s, [...words, s.name]);
  };
  for (const c of roots) walk(c, [c.name]);
  return out;
}

const visible = (spec: CommandSpec) => optionsOf(spec).filter((o) => !o.hidden);
const flagsOf = (o: OptionSpec) => [
  `--${o.name}`,
  ...(o.aliases ?? []).map((a) => `--${a}`),
  ...(o.short ? [`-${o.short}`] : []),
];
/** Words and choices in completion scripts are ctrsafe's own identifiers: checked, so no quoting is ever needed. */
const safe = (s: string) => {
  if (!/^[A-Za-z0-9_.,:+=-]+$/.test(s)) throw new Error(`not a plain word for a completion script: ${s}`);
  return s;
};

export function renderBashCompletion(roots: readonly CommandSpec[]): string {
  const all = nodes(roots);
  const steps = all.map((n) => `"${n.words.slice(0, -1).join(' ')}:${safe(n.words.at(-1)!)}"`);
  const valueCases: string[] = [];
  const optionCases: string[] = [];
  const subCases: string[] = [`      "") subs="${roots.map((c) => safe(c.name)).join(' ')} help" ;;`];
  for (const n of all) {
    const key = n.words.join(' ');
    const opts = visible(n.spec);
    for (const o of opts.filter((x) => x.value)) {
      const action = o.choices
        ? `compgen -W "${o.choices.map(safe).join(' ')}" -- "$cur"`
        : o.complete === 'dir'
          ? 'compgen -d -- "$cur"'
          : o.complete === 'user'
            ? 'compgen -u -- "$cur"'
            : o.complete === 'file'
              ? 'compgen -f -- "$cur"'
              : null;
      const pattern = flagsOf(o)
        .map((f) => `"${key}:${safe(f)}"`)
        .join('|');
      valueCases.push(
        action ? `      ${pattern}) COMPREPLY=($(${action})); return ;;` : `      ${pattern}) return ;;`,
      );
    }
    if (n.spec.load)
      optionCases.push(`      "${key}") opts="${opts.flatMap(flagsOf).map(safe).join(' ')}" ;;`);
    if (n.spec.subcommands?.length)
      subCases.push(`      "${key}") subs="${n.spec.subcommands.map((s) => safe(s.name)).join(' ')}" ;;`);
  }
  return `# bash completion for ctrsafe; generated from its command declarations (src/cli/commands/), do not edit.
_ctrsafe() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} path="" i w opts="" subs=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    case "$path:$w" in
      ${steps.join('|')}) path="\${path:+$path }$w" ;;
    esac
  done
  case "$path:$prev" in
${valueCases.join('\n')}
  esac
  case "$path" in
${subCases.join('\n')}
  esac
  if [[ $cur == -* ]]; then
    case "$path" in
${optionCases.join('\n')}
    esac
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  elif [[ -n $subs ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _ctrsafe ctrsafe
`;
}

/** Text inside zsh's single-quoted _arguments specs: brackets, colons and quotes escaped. */
function zshText(s: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(/'/g, `'\\''`)
    .replace(/([[\]:])/g, '\\$1');
}

function zshAction(o: OptionSpec): string {
  if (o.choices) return `(${o.choices.map(safe).join(' ')})`;
  if (o.complete === 'dir') return '_files -/';
  if (o.complete === 'file') return '_files';
  if (o.complete === 'user') return '_users';
  return ' ';
}

function zshOptionSpecs(spec: CommandSpec): string[] {
  const out: string[] = [];
  for (const o of visible(spec)) {
    const desc = zshText(o.description);
    const star = o.repeatable ? '*' : '';
    for (const f of flagsOf(o)) {
      if (!o.value) out.push(`'${star}${f}[${desc}]'`);
      else
        out.push(
          `'${star}${f}${f.startsWith('--') ? '=' : '+'}[${desc}]:${zshText(o.value)}:${zshAction(o)}'`,
        );
    }
  }
  if (spec.args)
    out.push(`'*:${zshText(spec.args.usage)}:${spec.args.complete === 'dir' ? '_files -/' : '_files'}'`);
  return out;
}

export function renderZshCompletion(roots: readonly CommandSpec[]): string {
  const all = nodes(roots);
  const steps = all.map((n) => `"${n.words.slice(0, -1).join(' ')}:${safe(n.words.at(-1)!)}"`);
  const describe = (subs: readonly CommandSpec[]) =>
    `_values 'command' ${subs.map((s) => `'${safe(s.name)}[${zshText(s.summary)}]'`).join(' ')}`;
  const cases = [`    ("") ${describe(roots)} ;;`];
  for (const n of all) {
    if (n.spec.load)
      cases.push(`    ("${n.words.join(' ')}") _arguments -s ${zshOptionSpecs(n.spec).join(' ')} ;;`);
    else if (n.spec.subcommands?.length)
      cases.push(`    ("${n.words.join(' ')}") ${describe(n.spec.subcommands)} ;;`);
  }
  return `#compdef ctrsafe
# zsh completion for ctrsafe; generated from its command declarations (src/cli/commands/), do not edit.
_ctrsafe() {
  local p="" w
  integer n=1
  while (( n < CURRENT - 1 )); do
    w=\${words[n+1]}
    case "$p:$w" in
      (${steps.join('|')}) p="\${p:+$p }$w"; (( n++ )) ;;
      (*) break ;;
    esac
  done
  # The words after the command's own, as _arguments expects them.
  shift $(( n - 1 )) words
  (( CURRENT -= n - 1 ))
  case "$p" in
${cases.join('\n')}
  esac
}
_ctrsafe "$@"
`;
}
