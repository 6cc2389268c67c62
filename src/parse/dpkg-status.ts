// Reads installed package versions from dpkg's status file (deb-control(5) stanzas), in one linear pass.

export interface DpkgPackage {
  version: string;
  /** The source package it was built from ("Source: libpod (4.3.1+ds1-8)"): the name advisories use. */
  source: string;
  /** The source version when the Source: field names one that differs from Version (binNMUs, signed kernels). */
  sourceVersion?: string;
}

/** A status file may hold many thousands of stanzas; this many wanted ones is more than any real host has. */
const MAX_MATCHES = 4096;

/** The value of one field of a stanza (a field line starts the stanza or follows a newline). */
const FIELDS = {
  Package: /^Package:[ \t]*(.*)$/m,
  Status: /^Status:[ \t]*(.*)$/m,
  Version: /^Version:[ \t]*(.*)$/m,
  Source: /^Source:[ \t]*(.*)$/m,
};
function field(stanza: string, name: keyof typeof FIELDS): string | undefined {
  return FIELDS[name].exec(stanza)?.[1]?.trim();
}

/**
 * Splits the file into stanzas once (blank lines, deb-control(5)) and parses only those whose first field
 * names a wanted package: each byte is looked at a bounded number of times, so a hostile file of 80,000
 * "Package:" lines without blank lines is one stanza, read once (issue 13).
 */
export function parseDpkgStatus(text: string, wanted: (name: string) => boolean): Map<string, DpkgPackage> {
  const out = new Map<string, DpkgPackage>();
  let matches = 0;
  for (let start = 0; start < text.length;) {
    let end = text.indexOf('\n\n', start);
    if (end < 0) end = text.length;
    const stanza = text.slice(start, end);
    const name = field(stanza, 'Package');
    if (name !== undefined && /^[a-z0-9][a-z0-9+.-]{0,200}$/.test(name) && wanted(name)) {
      if (++matches > MAX_MATCHES) break;
      const status = field(stanza, 'Status') ?? '';
      const version = field(stanza, 'Version')?.split(/\s/)[0];
      const installed = / installed$/.test(status) && !/not-installed|config-files/.test(status);
      if (installed && version) {
        // "Source: linux-signed-amd64 (6.1.55+1)": the name, and the source version when it differs.
        const src = /^(\S+)(?:\s+\(([^)\s]+)\))?/.exec(field(stanza, 'Source') ?? '');
        out.set(name, {
          version,
          source: src?.[1] ?? name,
          ...(src?.[2] && src[2] !== version ? { sourceVersion: src[2] } : {}),
        });
      }
    }
    start = end + 2;
    while (text[start] === '\n') start++;
  }
  return out;
}
