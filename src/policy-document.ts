// Reads a site policy file (YAML, or JSON by its .json name) bounded in size; every failure is one line naming it.
import * as fs from 'node:fs';
import { load as loadYaml } from 'js-yaml';
import { InputError } from './errors.js';

export function readPolicyDocument(file: string, maxBytes: number): unknown {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile() || st.size > maxBytes)
      throw new InputError(`${file}: not a regular file of at most ${Math.round(maxBytes / 1024)} KiB`);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(
      `${file}: ${code === 'ENOENT' ? 'does not exist' : (e as Error).message.split('\n')[0]}`,
    );
  }
  const json = /\.json$/i.test(file);
  try {
    // The JSON schema of YAML: no custom tags, no functions, nothing but data (js-yaml's `json` option).
    return json ? JSON.parse(text) : datesAsText(loadYaml(text, { json: true }), 0);
  } catch (e) {
    throw new InputError(
      `${file}: not valid ${json ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`,
    );
  }
}

/**
 * YAML reads an unquoted 2027-01-31 as a timestamp: given back as the text "2027-01-31" (a time of day as ISO 8601),
 * so the documents' declarations see the string the operator wrote. Depth is bounded by the file's size and js-yaml's
 * own nesting; deeper than 100 is left as it is.
 */
function datesAsText(v: unknown, depth: number): unknown {
  if (v instanceof Date) {
    const iso = Number.isNaN(v.getTime()) ? String(v) : v.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if (depth > 100 || typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map((x) => datesAsText(x, depth + 1));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, datesAsText(x, depth + 1)]));
}

/** What every waiver carries, in either policy: a reason of some words and an end date. Returns the date. */
export function waiverReasonAndExpiry(
  src: string,
  where: string,
  e: Record<string, unknown>,
): { reason: string; expires: string } {
  if (typeof e.reason !== 'string' || e.reason.trim().length < 3)
    throw new InputError(`${src}: ${where}.reason: a waiver must say why`);
  // YAML reads an unquoted 2027-01-31 as a date.
  const expires = e.expires instanceof Date ? e.expires.toISOString().slice(0, 10) : e.expires;
  // A real calendar day: Date would roll 2026-02-30 over into March.
  if (
    typeof expires !== 'string' ||
    !/^\d{4}-\d{2}-\d{2}$/.test(expires) ||
    Number.isNaN(Date.parse(expires)) ||
    new Date(`${expires}T00:00:00Z`).toISOString().slice(0, 10) !== expires
  )
    throw new InputError(
      `${src}: ${where}.expires: must be a date YYYY-MM-DD (a waiver without an end is a rule change)`,
    );
  return { reason: e.reason.trim(), expires };
}
