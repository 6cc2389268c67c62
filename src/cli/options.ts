// Parses a command's argv against its declaration and answers for each option with its value and where it came
// from: the command line, then its CTRSAFE_* environment variable, then ctrsafe.conf, then the default.
import { UsageError } from '../errors.js';
import { optionsOf, type CommandSpec, type OptionSpec } from './spec.js';

export type Source = { kind: 'option' } | { kind: 'env'; name: string } | { kind: 'config'; where: string };

interface Value {
  values: string[];
  source: Source;
}

/** Settings read from ctrsafe.conf for one command: option name → values, and where each was written. */
export type ConfigSettings = Map<string, { values: string[]; where: string }>;

function describe(spec: OptionSpec, source: Source): string {
  if (source.kind === 'env') return `${source.name} (for --${spec.name})`;
  if (source.kind === 'config') return `${source.where} (for --${spec.name})`;
  return `--${spec.name}`;
}

export class Options {
  constructor(
    private readonly specs: Map<string, OptionSpec>,
    private readonly given: Map<string, Value>,
  ) {}

  private spec(name: string): OptionSpec {
    const s = this.specs.get(name);
    // A handler asking for an option its declaration lacks is a bug in ctrsafe, not the user's mistake.
    if (!s) throw new Error(`option --${name} is not declared for this command`);
    return s;
  }

  /** The option's value (the last one given), or undefined. */
  get(name: string): string | undefined {
    this.spec(name);
    return this.given.get(name)?.values.at(-1);
  }

  /** Every value of a repeatable option, in order. */
  all(name: string): string[] {
    this.spec(name);
    return this.given.get(name)?.values ?? [];
  }

  /** Whether a flag is on (or a valued option was given at all). */
  has(name: string): boolean {
    const s = this.spec(name);
    const v = this.given.get(name);
    if (!v) return false;
    return s.value ? true : v.values.at(-1) !== 'false';
  }

  /** What to name in an error about this option: "--format", "CTRSAFE_FORMAT (for --format)". */
  label(name: string): string {
    const v = this.given.get(name);
    return v ? describe(this.spec(name), v.source) : `--${name}`;
  }

  /** One of the declared choices. */
  choice<T extends string>(name: string): T | undefined {
    const v = this.get(name);
    const s = this.spec(name);
    if (v !== undefined && s.choices && !s.choices.includes(v))
      throw new UsageError(`${this.label(name)} must be one of ${s.choices.join(', ')} (got "${v}")`);
    return v as T | undefined;
  }

  /** A whole number from 1 to max. */
  int(name: string, max: number): number | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (!/^\d{1,9}$/.test(v) || Number(v) <= 0 || Number(v) > max)
      throw new UsageError(`${this.label(name)} must be a whole number from 1 to ${max} (got "${v}")`);
    return Number(v);
  }
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(
        d[i - 1]![j]! + 1,
        d[i]![j - 1]! + 1,
        d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
  return d[a.length]![b.length]!;
}

export function suggest(word: string, candidates: readonly string[]): string {
  const best = candidates
    .map((c) => ({ c, d: distance(word, c) }))
    .sort((x, y) => x.d - y.d)
    .find((x) => x.d <= Math.max(2, Math.floor(x.c.length / 3)));
  return best ? ` (did you mean ${best.c}?)` : '';
}

/** Splits argv into options and positionals by the declaration; unknown options and missing values are usage errors. */
export function parseCommandLine(
  spec: CommandSpec,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  config: ConfigSettings = new Map(),
): { opts: Options; args: string[]; command: string[] } {
  const specs = new Map<string, OptionSpec>();
  const byFlag = new Map<string, OptionSpec>();
  for (const s of optionsOf(spec)) {
    specs.set(s.name, s);
    byFlag.set(`--${s.name}`, s);
    for (const a of s.aliases ?? []) byFlag.set(`--${a}`, s);
    if (s.short) byFlag.set(`-${s.short}`, s);
  }
  const given = new Map<string, Value>();
  const args: string[] = [];
  let command: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      if (spec.args?.dashCommand) command = argv.slice(i + 1);
      else args.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      args.push(arg);
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const key = eq > 0 ? arg.slice(0, eq) : arg;
    const s = byFlag.get(key);
    if (!s) {
      const names = [...byFlag.keys()].filter((k) => k.startsWith('--') && !specs.get(k.slice(2))?.hidden);
      throw new UsageError(`unknown option ${key} for ctrsafe ${spec.name}${suggest(key, names)}`);
    }
    let value = 'true';
    if (s.value) {
      if (eq > 0) value = arg.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined) throw new UsageError(`${key} needs a value (${s.value})`);
        value = next;
        i++;
      }
    } else if (eq > 0) throw new UsageError(`${key} takes no value`);
    const prev = given.get(s.name);
    if (prev && !s.repeatable) throw new UsageError(`${key} given more than once`);
    given.set(s.name, { values: [...(prev?.values ?? []), value], source: { kind: 'option' } });
  }
  // Then the environment, then the configuration file: each only for options the command line did not set.
  for (const s of specs.values()) {
    if (given.has(s.name)) continue;
    const e = s.env ? env[s.env] : undefined;
    if (s.env && e !== undefined && e !== '') {
      given.set(s.name, { values: s.repeatable ? e.split(',') : [e], source: { kind: 'env', name: s.env } });
      continue;
    }
    const c = config.get(s.name);
    if (c && s.config !== false)
      given.set(s.name, { values: c.values, source: { kind: 'config', where: c.where } });
  }
  return { opts: new Options(specs, given), args, command };
}

/** Checks the positional count against the declaration. */
export function checkArgs(spec: CommandSpec, path: readonly string[], args: readonly string[]): void {
  const a = spec.args ?? { usage: '', min: 0, max: 0 };
  const name = `ctrsafe ${path.join(' ')}`;
  if (args.length > a.max)
    throw new UsageError(
      a.max === 0
        ? `${name} takes no arguments (got "${args[0]}")`
        : `${name} takes at most ${a.max} argument${a.max === 1 ? '' : 's'} (${a.usage})`,
    );
  if (args.length < a.min) throw new UsageError(`${name} needs ${a.usage}`);
}
