// Reads installed package versions from dpkg's status file (deb-control(5) stanzas).

export function parseDpkgStatus(text: string, wanted: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const stanza of text.split(/\n\s*\n/)) {
    const pkg = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    if (!pkg || !wanted.has(pkg)) continue;
    const status = /^Status:\s*(.+)$/m.exec(stanza)?.[1] ?? '';
    if (!/\binstalled\b/.test(status) || /not-installed|config-files/.test(status)) continue;
    const version = /^Version:\s*(\S+)/m.exec(stanza)?.[1];
    if (version) out.set(pkg, version);
  }
  return out;
}
