// Finds the CVE ids a package changelog names and the version of the entry that first names each (pure, linear).
import type { RpmChangelogEntry } from './rpm-header.js';

const CVE = /CVE-\d{4}-\d{4,7}/g;

function note(out: Map<string, string>, text: string, version: string, wanted: ReadonlySet<string>): void {
  for (const m of text.matchAll(CVE)) if (wanted.has(m[0])) out.set(m[0], version); // newest first: the last set wins
}

/**
 * deb-changelog(5): entries "package (version) distributions; urgency=..." newest first. A signed kernel's
 * changelog interleaves linux-signed-<arch> entries ("6.1.192+3" signs linux "6.1.192-3"), whose versions are
 * given in the kernel's own form.
 */
export function debianChangelogCves(text: string, wanted: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  if (wanted.size === 0) return out;
  const header = /^([a-z0-9][a-z0-9+.-]*) \(([^()\s]+)\)[^\n]*;[^\n]*$/gm;
  let version: string | null = null;
  let last = 0;
  for (let m = header.exec(text); m !== null; m = header.exec(text)) {
    if (version !== null) note(out, text.slice(last, m.index), version, wanted);
    version = /^linux-signed/.test(m[1]!) ? m[2]!.replace(/\+(\d+)$/, '-$1') : m[2]!;
    last = header.lastIndex;
  }
  if (version !== null) note(out, text.slice(last), version, wanted);
  return out;
}

/** RPM %changelog: the entry's version ends its name line ("Name <mail> - 1.2-3.el8" or "... [4.18.0-348.el8]"). */
export function rpmChangelogCves(
  entries: readonly RpmChangelogEntry[],
  wanted: ReadonlySet<string>,
): Map<string, string> {
  const out = new Map<string, string>();
  if (wanted.size === 0) return out;
  for (const e of entries) {
    const v = /(?:^|[\s[-])((?:\d+:)?\d[\w.+~^]*-[\w.+~^]+)\]?\s*$/.exec(e.name)?.[1];
    if (v) note(out, e.text, v, wanted);
  }
  return out;
}

/** The compact form kept as a fact: "CVE-2023-0778 4.3.1+ds1-7". */
export const changelogFacts = (m: Map<string, string>): string[] =>
  [...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([cve, v]) => `${cve} ${v}`);
