// Reads installed package versions from dpkg's status file (deb-control(5) stanzas).

/** Only stanzas of wanted packages are parsed: a status file holds thousands and is read on every check. */
export function parseDpkgStatus(text: string, wanted: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const stanza of text.split('\n\n')) {
    const s = stanza.startsWith('\n') ? stanza.trimStart() : stanza;
    if (!s.startsWith('Package:')) continue;
    const eol = s.indexOf('\n');
    const pkg = s.slice(8, eol < 0 ? undefined : eol).trim();
    if (!wanted.has(pkg)) continue;
    const status = /^Status:\s*(.+)$/m.exec(s)?.[1] ?? '';
    if (!/\binstalled\b/.test(status) || /not-installed|config-files/.test(status)) continue;
    const version = /^Version:\s*(\S+)/m.exec(s)?.[1];
    if (version) out.set(pkg, version);
  }
  return out;
}
