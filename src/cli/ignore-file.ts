// Reads an ignore file (.ctrsafeignore, or --ignorefile FILE): YAML or JSON, a list of {id, scope, reason, expires}.
import * as fs from 'node:fs';
import { InputError } from '../errors.js';
import type { IgnoreEntry } from '../evaluate/apply-ignores.js';
import { readPolicyDocument, waiverReasonAndExpiry } from '../policy-document.js';

export const DEFAULT_IGNORE_FILE = '.ctrsafeignore';
const MAX_BYTES = 1024 * 1024;
const MAX_ENTRIES = 10000;

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The entries in force: the file named, else .ctrsafeignore in the current directory when it exists. As root the
 * default file is used only when root owns it and no one else may write it: a user's planted .ctrsafeignore in a
 * directory root happens to run from must not silence findings.
 */
export function loadIgnoreFile(named: string | undefined, euid: number): IgnoreEntry[] {
  const file = named ?? DEFAULT_IGNORE_FILE;
  if (named === undefined) {
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      return [];
    }
    if (euid === 0 && (st.uid !== 0 || (st.mode & 0o022) !== 0))
      throw new InputError(
        `${file}: owned by uid ${st.uid} with mode ${(st.mode & 0o7777).toString(8)}; as root ctrsafe applies only an ignore file that only root can change (name one with --ignorefile)`,
      );
  }
  const doc = readPolicyDocument(file, MAX_BYTES);
  const list = isMap(doc) ? doc.ignore : doc;
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list) || list.length > MAX_ENTRIES)
    throw new InputError(
      `${file}: must be a list of entries (id, reason, expires, optional scope), at most ${MAX_ENTRIES}`,
    );
  return list.map((e, i): IgnoreEntry => {
    const where = `entry ${i + 1}`;
    if (!isMap(e)) throw new InputError(`${file}: ${where} is not a map`);
    if (typeof e.id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._:-]{1,99}$/.test(e.id))
      throw new InputError(`${file}: ${where}.id must be a rule or vulnerability id`);
    if (e.scope !== undefined && (typeof e.scope !== 'string' || e.scope.length > 200))
      throw new InputError(`${file}: ${where}.scope must be a glob over host names or image paths`);
    const { reason, expires } = waiverReasonAndExpiry(file, where, e);
    return {
      id: e.id,
      scope: typeof e.scope === 'string' ? e.scope : null,
      reason,
      expires,
      where: `${file} ${where}`,
    };
  });
}
