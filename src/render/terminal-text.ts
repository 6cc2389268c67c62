// Text from data ctrsafe did not write (a tree's os-release, an image's file names, a server's answer), shown on a
// terminal: every control character is displayed as an escape, never obeyed, so a hostile string cannot set the
// window title, clear the screen, move the cursor or start a new line that forges a verdict.

/**
 * C0 controls (newline and tab included: a renderer's own line breaks are added after escaping), DEL, C1
 * controls (U+0080-U+009F: 0x9B is CSI on terminals that honour 8-bit controls), and the invisible format
 * characters that reorder or hide text (bidirectional overrides and isolates, zero-width characters, line and
 * paragraph separators, the byte order mark): CVE-2021-42574, "Trojan Source".
 */
// eslint-disable-next-line no-control-regex -- matching control characters is this module's purpose
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

const shown = (c: string) => {
  const n = c.codePointAt(0)!;
  return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
};

/** S with every control or invisible format character written out as \xNN or \u{NNNN}. */
export function escapeControl(s: string): string {
  return s.replace(UNSAFE, shown);
}

/** A copy of V with every string in it (object keys too) escaped: for a renderer to apply once, at its entry. */
export function escapeStrings<T>(v: T): T {
  if (typeof v === 'string') return escapeControl(v) as T;
  if (Array.isArray(v)) return v.map((x: unknown) => escapeStrings(x)) as T;
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>))
      out[escapeControl(k)] = escapeStrings(x);
    return out as T;
  }
  return v;
}

/** One line for Slurm's Reason, a prolog log or NHC: escaped, then printable ASCII only, bounded. */
export function asciiLine(s: string, max: number): string {
  return escapeControl(s)
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, max);
}
