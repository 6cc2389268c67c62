// Parses os-release(5): KEY=value lines with optional shell quoting.

export function parseOsRelease(text: string, maxLines = 200): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const raw of text.split('\n')) {
    if (++n > maxLines) break;
    const line = raw.trim();
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!;
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    out[m[1]!] = v.replace(/\\(["'$`\\])/g, '$1').slice(0, 200);
  }
  return out;
}
