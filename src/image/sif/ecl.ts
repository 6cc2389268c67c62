// Apptainer's and SingularityCE's execution control list (ecl.toml): written from a keyring, read and judged (pure).
//
// The format and its rules, as the runtimes read it (apptainer/apptainer and sylabs/singularity
// internal/pkg/syecl/syecl.go, read, not copied): `activated` and `legacyinsecure` booleans, `[[execgroup]]` tables
// of tagname, mode (whitelist: one listed key signed every group; whitestrict: all listed keys did; blacklist: no
// listed key did), dirpath (the image's directory, exactly; "" for anywhere else) and keyfp (40-hex OpenPGP
// fingerprints). ValidateConfig: one execgroup per dirpath, dirpaths absolute with links resolved, modes and
// fingerprints well formed. The ECL verifies with the runtime's global OpenPGP keyring and compares the fingerprints
// recorded in signature descriptors: DSSE signatures (PEM keys) record none, so only OpenPGP keys can be listed.
import * as path from 'node:path';
import { parse as parseToml } from 'smol-toml';

export const ECL_MODES = ['whitelist', 'whitestrict', 'blacklist'] as const;

export interface Execgroup {
  tagname: string;
  mode: string;
  dirpath: string;
  keyfp: string[];
}

export interface EclConfig {
  activated: boolean;
  legacyinsecure: boolean;
  execgroups: Execgroup[];
}

/** go-toml decodes into typed fields: a value of the wrong type fails the whole file, as here. */
function typed<T>(v: unknown, want: string, where: string, ok: (x: unknown) => x is T): T {
  if (!ok(v)) throw new Error(`${where} must be ${want}`);
  return v;
}
const isBool = (x: unknown): x is boolean => typeof x === 'boolean';
const isString = (x: unknown): x is string => typeof x === 'string';
const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every(isString);

/** Parses ecl.toml as syecl.LoadConfig does (unknown keys ignored, missing ones false or empty); throws on bad TOML. */
export function parseEcl(text: string): EclConfig {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`not valid TOML: ${(e as Error).message.split('\n')[0]}`);
  }
  const groups = doc.execgroup ?? [];
  if (!Array.isArray(groups)) throw new Error('execgroup must be an array of tables ([[execgroup]])');
  return {
    activated:
      doc.activated === undefined ? false : typed(doc.activated, 'true or false', 'activated', isBool),
    legacyinsecure:
      doc.legacyinsecure === undefined
        ? false
        : typed(doc.legacyinsecure, 'true or false', 'legacyinsecure', isBool),
    execgroups: groups.map((g: unknown, i: number) => {
      if (typeof g !== 'object' || g === null || Array.isArray(g))
        throw new Error(`execgroup ${i + 1} must be a table`);
      const t = g as Record<string, unknown>;
      const str = (k: string) =>
        t[k] === undefined ? '' : typed(t[k], 'a string', `execgroup ${i + 1} ${k}`, isString);
      return {
        tagname: str('tagname'),
        mode: str('mode'),
        dirpath: str('dirpath'),
        keyfp:
          t.keyfp === undefined
            ? []
            : typed(t.keyfp, 'a list of strings', `execgroup ${i + 1} keyfp`, isStrings),
      };
    }),
  };
}

/**
 * ValidateConfig's rules, each broken one a line. `resolve` gives a directory's path with links resolved (or null
 * when it does not exist): the runtimes refuse a dirpath that is not already in that form, and every SIF with it.
 */
export function validateEcl(cfg: EclConfig, resolve: (p: string) => string | null): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  cfg.execgroups.forEach((g, i) => {
    const name = `execgroup ${i + 1}${g.tagname ? ` (${g.tagname})` : ''}`;
    if (seen.has(g.dirpath)) out.push(`${name}: dirpath "${g.dirpath}" appears in more than one execgroup`);
    seen.add(g.dirpath);
    if (g.dirpath !== '') {
      const real = resolve(g.dirpath);
      if (!path.isAbsolute(g.dirpath)) out.push(`${name}: dirpath ${g.dirpath} is not an absolute path`);
      else if (real === null) out.push(`${name}: dirpath ${g.dirpath} does not exist`);
      else if (real !== g.dirpath)
        out.push(`${name}: dirpath ${g.dirpath} is not clean with links resolved (${real})`);
    }
    if (!(ECL_MODES as readonly string[]).includes(g.mode))
      out.push(`${name}: mode "${g.mode}" is not whitelist, whitestrict or blacklist`);
    for (const k of g.keyfp)
      if (!/^[0-9A-Fa-f]{40}$/.test(k))
        out.push(`${name}: keyfp "${k.slice(0, 60)}" is not a 40-hex fingerprint`);
  });
  return out;
}

/** Fingerprints that an image must be signed with somewhere (whitelist and whitestrict groups), upper case. */
export function requiredKeys(cfg: EclConfig): string[] {
  return [
    ...new Set(
      cfg.execgroups
        .filter((g) => g.mode === 'whitelist' || g.mode === 'whitestrict')
        .flatMap((g) => g.keyfp.map((k) => k.toUpperCase())),
    ),
  ].sort();
}

/** One line per execgroup: "whitelist /data/images (2 keys)", "" shown as "(any other directory)". */
export function describeGroups(cfg: EclConfig): string {
  return cfg.execgroups
    .map(
      (g) =>
        `${g.mode || '(no mode)'} ${g.dirpath || '(any other directory)'} (${g.keyfp.length} key${g.keyfp.length === 1 ? '' : 's'})`,
    )
    .join('; ');
}

/** A TOML basic string: quotes, backslashes and control characters escaped (TOML 1.0, "String"). */
function tomlString(s: string): string {
  let out = '"';
  for (const c of s) {
    const code = c.codePointAt(0)!;
    if (c === '\\' || c === '"') out += `\\${c}`;
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return out + '"';
}

/** An activated ECL with legacy signatures refused: one execgroup per directory, or one for anywhere. */
export function eclFromKeys(
  fingerprints: string[],
  opts: { paths: string[]; mode: 'whitelist' | 'whitestrict' },
): EclConfig {
  const keyfp = [...new Set(fingerprints.map((f) => f.toUpperCase()))].sort();
  const dirs = opts.paths.length ? opts.paths : [''];
  return {
    activated: true,
    legacyinsecure: false,
    execgroups: dirs.map((d, i) => ({
      tagname: dirs.length === 1 ? 'ctrsafe-site-keys' : `ctrsafe-site-keys-${i + 1}`,
      mode: opts.mode,
      dirpath: d,
      keyfp,
    })),
  };
}

/** ecl.toml text, with `comment` lines above it (each prefixed "# "). */
export function renderEcl(cfg: EclConfig, comment: string[]): string {
  // A key's user ID ends up in a comment: a newline in it must not start a line of TOML.
  const out = comment.map((l) => (l ? `# ${l.replace(/[^\x20-\x7e]/g, '?')}` : '#'));
  out.push('', `activated = ${cfg.activated}`, `legacyinsecure = ${cfg.legacyinsecure}`);
  for (const g of cfg.execgroups)
    out.push(
      '',
      '[[execgroup]]',
      `  tagname = ${tomlString(g.tagname)}`,
      `  mode = ${tomlString(g.mode)}`,
      `  dirpath = ${tomlString(g.dirpath)}`,
      `  keyfp = [${g.keyfp.map(tomlString).join(', ')}]`,
    );
  return out.join('\n') + '\n';
}
