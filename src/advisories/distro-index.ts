// Indexes the distributions' fix rows for one host's releases, with the reviewed records' own distribution entries (pure).
import type { Advisory } from './advisory.js';

const CVE = /^CVE-\d{4}-\d{4,7}$/;

/** The CVE ids an advisory speaks for: its id and aliases. */
export const cveIds = (a: Advisory): string[] => [a.id, ...a.aliases].filter((x) => CVE.test(x));

/** The CVE ids the records describe: what package changelogs are searched for. */
export function advisoryCves(advisories: readonly Advisory[]): Set<string> {
  const out = new Set<string>();
  for (const a of advisories) for (const id of cveIds(a)) out.add(id);
  return out;
}
