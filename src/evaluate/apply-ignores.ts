// Applies a site's ignore list (.ctrsafeignore) to findings and vulnerabilities (pure): each entry names an id, an
// optional scope, a reason and an end date; an expired entry is reported and not applied.
export interface IgnoreEntry {
  /** A rule id (CS-K001) or a vulnerability id or alias (CVE-2024-1086, GHSA-...). */
  id: string;
  /** A glob (* and ?) over the host name (check) or the image path (image audit); null: everywhere. */
  scope: string | null;
  reason: string;
  /** YYYY-MM-DD: the entry holds through that day (UTC). */
  expires: string;
  /** Where it was written: "FILE entry N". */
  where: string;
}

export interface IgnoreOutcome {
  /** Entries in force that matched something. */
  applied: { id: string; reason: string; expires: string; where: string; matched: number }[];
  /** Entries past their end date: shown, not applied. */
  expired: { id: string; reason: string; expires: string; where: string }[];
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export function isExpired(e: IgnoreEntry, now: Date): boolean {
  return now.getTime() >= Date.parse(`${e.expires}T00:00:00Z`) + 86400000;
}

/**
 * Splits items into kept and ignored. `idsOf` gives every id an item answers to (a vulnerability's aliases too);
 * `scope` is the host name or image path the scopes are matched against.
 */
export function applyIgnores<T>(
  items: readonly T[],
  idsOf: (item: T) => readonly string[],
  entries: readonly IgnoreEntry[],
  scope: string,
  now: Date,
): { kept: T[]; ignored: T[]; outcome: IgnoreOutcome } {
  const live = entries.filter(
    (e) => !isExpired(e, now) && (e.scope === null || globToRegExp(e.scope).test(scope)),
  );
  const counts = new Map<IgnoreEntry, number>();
  const kept: T[] = [];
  const ignored: T[] = [];
  for (const item of items) {
    const ids = idsOf(item);
    const hit = live.find((e) => ids.includes(e.id));
    if (hit) {
      ignored.push(item);
      counts.set(hit, (counts.get(hit) ?? 0) + 1);
    } else kept.push(item);
  }
  return {
    kept,
    ignored,
    outcome: {
      applied: [...counts].map(([e, matched]) => ({
        id: e.id,
        reason: e.reason,
        expires: e.expires,
        where: e.where,
        matched,
      })),
      expired: entries
        .filter((e) => isExpired(e, now))
        .map((e) => ({ id: e.id, reason: e.reason, expires: e.expires, where: e.where })),
    },
  };
}
