// Reads ctrsafe.conf (ctrsafe.conf(5)): YAML sections named after commands, keys named after their options,
// so every option a site sets once lives where the operator looks for it. Read by root on every node, so only
// a file that only root can change is trusted.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../errors.js';
import { readPolicyDocument } from '../policy-document.js';
import type { ConfigSettings } from './options.js';
import { suggest } from './options.js';
import { optionsOf, type CommandSpec } from './spec.js';

export const DEFAULT_CONFIG_FILE = '/etc/ctrsafe/ctrsafe.conf';
const MAX_CONFIG_BYTES = 256 * 1024;

export type ConfigDocument = { file: string; sections: Record<string, unknown> };

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/**
 * As root, a configuration another user could write would let that user choose where the node's report goes or
 * which policy judges it: the file and its directory must belong to root and be writable by root alone.
 */
function checkTrusted(file: string, euid: number): void {
  if (euid !== 0) return;
  const real = fs.realpathSync(file);
  for (const p of [real, path.dirname(real)]) {
    const st = fs.statSync(p);
    if (st.uid !== 0 || (st.mode & 0o022) !== 0)
      throw new InputError(
        `${file}: ${p === real ? 'the file' : `its directory ${p}`} is owned by uid ${st.uid} with mode ${(st.mode & 0o7777).toString(8)}; as root ctrsafe trusts only a configuration that only root can change`,
      );
  }
}

/**
 * The configuration in force: --config FILE, else $CTRSAFE_CONFIG, else /etc/ctrsafe/ctrsafe.conf when it exists.
 * A file named explicitly must exist; the default may be absent.
 */
export function loadConfig(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
  euid: number,
): ConfigDocument | null {
  const named = explicit ?? (env.CTRSAFE_CONFIG || undefined);
  const file = named ?? DEFAULT_CONFIG_FILE;
  if (!named && !fs.existsSync(file)) return null;
  if (fs.existsSync(file)) checkTrusted(file, euid);
  const doc = readPolicyDocument(file, MAX_CONFIG_BYTES);
  if (doc === null || doc === undefined) return { file, sections: {} };
  if (!isMap(doc))
    throw new InputError(`${file}: must be a map of command sections (check:, gate:, fleet:, ...)`);
  return { file, sections: doc };
}

function values(v: unknown): string[] | null {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return [String(v)];
  if (v instanceof Date) return [v.toISOString().slice(0, 10)];
  if (Array.isArray(v) && v.length <= 100 && v.every((x) => typeof x === 'string' || typeof x === 'number'))
    return v.map(String);
  return null;
}

/**
 * The settings for one command: its top-level section, then each subcommand's nested section on the way
 * (fleet: {db: ..., serve: {listen: ...}}), each overriding the one above. A key that names neither an option
 * nor a subcommand of that section is an error, so a misspelt setting never silently does nothing.
 */
export function settingsFor(
  doc: ConfigDocument | null,
  roots: readonly CommandSpec[],
  words: readonly string[],
): ConfigSettings {
  const out: ConfigSettings = new Map();
  if (!doc) return out;
  for (const key of Object.keys(doc.sections))
    if (!roots.some((c) => c.name === key))
      throw new InputError(
        `${doc.file}: unknown section "${key}"${suggest(
          key,
          roots.map((c) => c.name),
        )}`,
      );
  let list = roots;
  let section: unknown = doc.sections;
  const where: string[] = [];
  for (const w of words) {
    const spec = list.find((c) => c.name === w);
    if (!spec || !isMap(section)) break;
    section = section[w];
    where.push(w);
    if (section === undefined || section === null) break;
    if (!isMap(section)) throw new InputError(`${doc.file}: ${where.join('.')} must be a map of settings`);
    const known = new Set(allOptionNames(spec));
    const subs = new Set((spec.subcommands ?? []).map((c) => c.name));
    const own = new Set(
      optionsOf(spec)
        .filter((o) => o.config !== false && !o.hidden)
        .map((o) => o.name),
    );
    for (const [k, v] of Object.entries(section)) {
      if (subs.has(k)) continue;
      if (!known.has(k))
        throw new InputError(
          `${doc.file}: ${[...where, k].join('.')}: no such setting${suggest(k, [...known, ...subs])}`,
        );
      const vals = values(v);
      if (!vals)
        throw new InputError(
          `${doc.file}: ${[...where, k].join('.')}: must be a string, number, boolean or list`,
        );
      // A section may hold settings for several of its subcommands: each takes the ones it declares.
      if (own.has(k) || (spec.subcommands ?? []).length > 0)
        out.set(k, { values: vals, where: `${doc.file}: ${[...where, k].join('.')}` });
    }
    list = spec.subcommands ?? [];
  }
  return out;
}

/** Every option a command or any of its subcommands declares (what its config section may hold). */
function allOptionNames(spec: CommandSpec): string[] {
  const own = optionsOf(spec)
    .filter((o) => o.config !== false && !o.hidden)
    .map((o) => o.name);
  return [...own, ...(spec.subcommands ?? []).flatMap(allOptionNames)];
}
