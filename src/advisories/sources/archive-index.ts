// Reads Debian-format archive indexes (Sources, Packages; RFC 822 stanzas) for the builder's changelog fetcher.

export interface IndexStanza {
  fields: Map<string, string>;
}

/** Splits an index into stanzas, folding continuation lines into their field (Debian Policy 5.1). Linear. */
export function parseIndex(text: string): IndexStanza[] {
  const out: IndexStanza[] = [];
  let cur = new Map<string, string>();
  let last = '';
  for (const line of text.split('\n')) {
    if (line === '') {
      if (cur.size) out.push({ fields: cur });
      cur = new Map();
      last = '';
      continue;
    }
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      cur.set(last, `${cur.get(last)}\n${line.trim()}`);
      continue;
    }
    const i = line.indexOf(':');
    if (i <= 0) continue;
    last = line.slice(0, i);
    cur.set(last, line.slice(i + 1).trim());
  }
  if (cur.size) out.push({ fields: cur });
  return out;
}

export interface SourceVersion {
  package: string;
  version: string;
  directory: string;
  /** File names of the source package (no .orig tarballs). */
  files: string[];
}

export function sourcesOf(stanzas: IndexStanza[]): SourceVersion[] {
  return stanzas.flatMap((s) => {
    const pkg = s.fields.get('Package');
    const version = s.fields.get('Version');
    const directory = s.fields.get('Directory');
    if (!pkg || !version || !directory) return [];
    const files = (s.fields.get('Files') ?? '')
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[2])
      .filter((f): f is string => !!f && !f.includes('.orig.'));
    return [{ package: pkg, version, directory, files }];
  });
}

export interface BinaryVersion {
  package: string;
  source: string;
  /** The source version: "Source: linux-aws (5.15.0-1121.128)" or the binary's own version. */
  sourceVersion: string;
  filename: string;
  size: number;
}

export function binariesOf(stanzas: IndexStanza[]): BinaryVersion[] {
  return stanzas.flatMap((s) => {
    const pkg = s.fields.get('Package');
    const version = s.fields.get('Version');
    const filename = s.fields.get('Filename');
    if (!pkg || !version || !filename) return [];
    const src = /^(\S+)(?: \((\S+)\))?$/.exec(s.fields.get('Source') ?? pkg);
    return [
      {
        package: pkg,
        source: src?.[1] ?? pkg,
        sourceVersion: src?.[2] ?? version,
        filename,
        size: Number(s.fields.get('Size') ?? 0),
      },
    ];
  });
}
