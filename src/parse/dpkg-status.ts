// Reads installed package versions from dpkg's status file (deb-control(5) stanzas).

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A status file holds thousands of stanzas and is read on every check, so one regular expression finds the
 * wanted "Package:" lines and only those stanzas are parsed.
 */
export function parseDpkgStatus(
  text: string,
  wanted: ReadonlySet<string>,
): Map<string, { version: string; source: string; maintainer?: string }> {
  const out = new Map<string, { version: string; source: string; maintainer?: string }>();
  if (wanted.size === 0) return out;
  const re = new RegExp(`^Package: (${[...wanted].map(escape).join('|')})$`, 'gm');
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const end = text.indexOf('\n\n', m.index);
    const stanza = text.slice(m.index, end < 0 ? undefined : end);
    const status = /^Status:\s*(.+)$/m.exec(stanza)?.[1] ?? '';
    if (!/\binstalled\b/.test(status) || /not-installed|config-files/.test(status)) continue;
    const version = /^Version:\s*(\S+)/m.exec(stanza)?.[1];
    // "Source: libpod (4.3.1+ds1-8)": the source package, which distribution advisories name.
    const source = /^Source:\s*(\S+)/m.exec(stanza)?.[1] ?? m[1]!;
    // "Maintainer: NVIDIA CORPORATION <cudatools@nvidia.com>": who built it (a vendor's own .deb, or the distribution).
    const maintainer = /^Maintainer:\s*(.{1,200})$/m.exec(stanza)?.[1]?.trim();
    if (version) out.set(m[1]!, { version, source, ...(maintainer ? { maintainer } : {}) });
  }
  return out;
}
